"""Answers in the customer's language: English answer templates and article versions."""

MESSAGES: dict[str, tuple[str, str]] = {
    "intent_answer_en": ("英文回答模板", "Answer template in English"),
    "kb_versions": ("语言版本", "Language versions"),
    "help_also_in": ("其他语言：", "Also in:"),
    "kb_version_source": ("原文", "source"),
    "kb_add_version_en": ("添加英文版本", "Add the English version"),
    "kb_add_version_zh": ("添加中文版本", "Add the Chinese version"),
    "kb_one_version": ("只有这一个版本。", "This is the only version."),
    "kb_translating": ("译自：", "Translation of:"),
    "kb_source_text": ("查看原文", "Show the source text"),
    "kb_version_exists": (
        "这篇文章已有该语言的版本，请打开那一篇修改。",
        "This article already has a version in that language; open it to make changes.",
    ),
    "intent_answer_en_hint": (
        "用英文提问的客户收到这一版；留空则发中文模板，并说明只有中文版。",
        "Customers who write English get this one; left empty, they get the Chinese template with "
        "a note that it is only in Chinese.",
    ),
}
