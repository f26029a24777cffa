"""Answers in the customer's language: English answer templates and article versions."""

MESSAGES: dict[str, tuple[str, str]] = {
    "intent_answer_en": ("英文回答模板", "Answer template in English"),
    "intent_answer_en_hint": (
        "用英文提问的客户收到这一版；留空则发中文模板，并说明只有中文版。",
        "Customers who write English get this one; left empty, they get the Chinese template with "
        "a note that it is only in Chinese.",
    ),
}
