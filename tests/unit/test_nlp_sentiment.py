import pytest

from servicedesk.nlp.sentiment import SentimentModel, default_model, shipped_pairs


def test_shipped_data_is_packaged_and_balanced_enough() -> None:
    pairs = shipped_pairs()
    assert len(pairs) >= 300
    negatives = sum(1 for _, label in pairs if label == 0)
    assert 0.3 < negatives / len(pairs) < 0.7
    assert all(label in (0, 1) and text.strip() for text, label in pairs)


# none of these sentences is in the shipped data
@pytest.mark.parametrize(
    "text",
    [
        "快递拖了十天才到，盒子还是破的，太气人了",
        "你们客服半天不理人，这是什么态度",
        "刚买的吹风机就坏了，要求退款",
        "我已经投诉三次了，还是没人管",
        "质量差得离谱，再也不买了",
        "the refund never came and nobody answers",
    ],
)
def test_default_model_reads_complaints_as_negative(text: str) -> None:
    result = default_model().predict(text)
    assert result.label == 0
    assert result.negative > 0.5
    assert result.score < 0


@pytest.mark.parametrize(
    "text",
    [
        "太谢谢你了，问题都解决了",
        "客服小哥很热心，非常满意",
        "收到了，东西很好，好评",
        "请问能开电子发票吗",  # a neutral question is not negative
        "thank you, the agent was great",
    ],
)
def test_default_model_reads_thanks_and_questions_as_not_negative(text: str) -> None:
    result = default_model().predict(text)
    assert result.label == 1
    assert result.negative < 0.5
    assert -1.0 <= result.score <= 1.0


def test_default_model_is_trained_once() -> None:
    assert default_model() is default_model()


def test_train_on_own_pairs_and_batch_predict() -> None:
    pairs = [("很好用", 1), ("非常满意", 1), ("谢谢", 1), ("太差了", 0), ("坏了", 0), ("很失望", 0)] * 3
    model = SentimentModel.train(pairs)
    results = model.predict_many(["很满意", "太失望了", ""])
    assert [r.label for r in results[:2]] == [1, 0]
    assert len(results) == 3
    assert model.predict_many([]) == []


def test_needs_both_labels() -> None:
    with pytest.raises(ValueError, match="both"):
        SentimentModel.train([("好", 1), ("很好", 1)])
