from pathlib import Path

import numpy as np
import pytest

from servicedesk.nlp.intent import IntentModel

DATA = Path(__file__).resolve().parent.parent / "data" / "nlp" / "intents_small.tsv"


def _examples() -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in DATA.read_text(encoding="utf-8").splitlines()]
    return [(row[0], row[1]) for row in rows if len(row) == 2 and not row[0].startswith("#")]


@pytest.fixture(scope="module")
def model() -> IntentModel:
    return IntentModel.train(_examples())


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我的订单什么时候发货", "order_status"),
        ("订单 2024112200123 到哪了", "order_status"),
        ("退款还没收到", "refund_status"),
        ("发票怎么开", "invoice"),
        ("我想改一下地址", "change_address"),
        ("快递好几天没动静", "logistics_issue"),
        ("这个耳机有降噪吗", "product_question"),
        ("我要投诉你们", "complaint"),
        ("转人工", "human_agent"),
        ("优惠券不能用", "coupon"),
        ("where is my package", "order_status"),
        ("ＷＨＥＲＥ ＩＳ ＭＹ ＯＲＤＥＲ？", "order_status"),  # full-width input
    ],
)
def test_recognises_paraphrases_not_in_the_examples(model: IntentModel, text: str, intent: str) -> None:
    prediction = model.predict(text)
    assert prediction.intent == intent
    assert prediction.ranked[0][0] == intent
    assert 0.0 <= prediction.confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    ["", "   ", "？？？", "😀😀😀", "asdfghjkl", "今天北京天气怎么样", "给我讲个笑话", "1+1等于几", "你好"],
)
def test_no_intent_for_empty_garbage_and_unrelated_text(model: IntentModel, text: str) -> None:
    prediction = model.predict(text)
    assert prediction.intent is None
    assert prediction.reason != "matched"


def test_confidence_is_a_probability_over_ranked_intents(model: IntentModel) -> None:
    probs, _ = model.probabilities(["退款什么时候到账"])
    assert probs.shape == (1, len(model.classes))
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    ranked = model.predict("退款什么时候到账").ranked
    assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)


def test_threshold_decides_between_answer_and_no_match(model: IntentModel) -> None:
    text = "I want a refund"
    confidence = model.predict(text).confidence
    assert model.with_threshold(confidence - 0.01).predict(text).intent is not None
    rejected = model.with_threshold(confidence + 0.01).predict(text)
    assert rejected.intent is None and rejected.reason == "low-confidence"


def test_defaults_come_from_the_data_within_bounds(model: IntentModel) -> None:
    assert 0.2 <= model.threshold <= 0.6
    assert 0.04 <= model.min_similarity <= 0.15
    assert IntentModel.train(_examples(), threshold=0.9).threshold == 0.9


def test_round_trip_gives_identical_predictions(model: IntentModel) -> None:
    blob = model.to_bytes()
    assert blob[:2] == b"PK"  # a numpy zip archive, not a pickle
    loaded = IntentModel.from_bytes(blob)
    texts = ["我的订单到哪了", "can I return this", "快递丢了", "asdf", "发票抬头错了"]
    original, restored = model.probabilities(texts), loaded.probabilities(texts)
    np.testing.assert_allclose(original[0], restored[0], rtol=1e-6)
    np.testing.assert_allclose(original[1], restored[1], rtol=1e-6)
    assert [p.intent for p in model.predict_many(texts)] == [p.intent for p in loaded.predict_many(texts)]
    assert (loaded.threshold, loaded.min_similarity) == (model.threshold, model.min_similarity)


def test_rejects_a_foreign_blob() -> None:
    with pytest.raises(ValueError, match="not a servicedesk-intent"):
        IntentModel.from_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a servicedesk-intent"):
        IntentModel.from_bytes(b"PK\x03\x04 truncated")


def test_out_of_scope_examples_form_a_class_that_answers_none() -> None:
    examples = [*_examples()] + [
        ("oos", text)
        for text in ["今天天气怎么样", "推荐一部电影", "股票会涨吗", "讲个笑话", "明天会下雨吗", "帮我写首诗"]
    ]
    trained = IntentModel.train(examples, out_of_scope_label="oos")
    assert "oos" not in [name for name, _ in trained.predict("后天天气怎么样").ranked]
    assert trained.predict("后天天气怎么样").intent is None
    assert trained.predict("我的订单到哪了").intent == "order_status"


def test_two_intents_and_single_examples_still_train() -> None:
    trained = IntentModel.train([("greet", "你好"), ("bye", "再见"), ("greet", "您好啊")])
    assert trained.predict("再见").ranked[0][0] == "bye"


def test_needs_two_intents() -> None:
    with pytest.raises(ValueError, match="two intents"):
        IntentModel.train([("greet", "你好"), ("greet", "hello")])


def test_tune_threshold_prefers_recall_when_asked(model: IntentModel) -> None:
    labelled: list[tuple[str | None, str]] = [
        ("order_status", "订单到哪了"),
        ("refund_status", "退款多久到"),
        (None, "what is the capital of France"),
        (None, "明天天气好吗"),
    ]
    strict = model.tune_threshold(labelled, oos_weight=0.9)
    assert model.with_threshold(strict).predict("what is the capital of France").intent is None
