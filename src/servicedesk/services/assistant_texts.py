"""What the bot says around its answers, in Chinese and English.

The answers themselves come from the knowledge base, the script library and the intents'
templates; these are only the frame (ask for a rating, ask for an order number, hand over, say
that an answer exists only in another language). Every one is sent in the language the
customer writes (`Assistant._language_of`).
"""

from __future__ import annotations

BOT_TEXTS: dict[str, tuple[str, str]] = {
    "rate": (
        "请为本次回答打分：1 非常不满意，2 不满意，3 一般，4 满意，5 非常满意（直接回复数字即可）。",
        "Please rate this answer from 1 (very dissatisfied) to 5 (very satisfied) — "
        "just reply with the number.",
    ),
    "clarify": (
        "抱歉，{bot_name}没有理解您的问题。能换个说法再描述一下吗？也可以回复“转人工”联系人工客服。",
        "Sorry, {bot_name} did not understand. Could you put it another way? "
        'Or reply "agent" to reach a person.',
    ),
    "thanks": (
        "感谢您的评价！还有其他问题可以继续问{bot_name}。",
        "Thank you for rating! Ask {bot_name} anything else.",
    ),
    "ask_order_no": (
        "请提供您的订单号（例如 2024112200123），{bot_name}马上为您查询。",
        "Please give me your order number (e.g. 2024112200123) and {bot_name} will look it up.",
    ),
    "order_not_found": (
        "没有查到订单 {order_no}，请核对后重新发送订单号，或回复“转人工”。",
        'No order {order_no} was found for you. Please check the number, or reply "agent".',
    ),
    "ask_phone": ("请提供您的手机号码。", "Please give me your mobile number."),
    "ask_amount": ("请告诉我相关的金额。", "Please tell me the amount concerned."),
    "ask_date": ("请告诉我相关的日期。", "Please tell me the date concerned."),
    "taken_over": (
        "您好，我是人工客服{agent}，接下来由我为您服务。您前面说的我都看到了，无需重复。",
        "Hello, this is {agent}, a person, taking over from the assistant. I have read everything "
        "you wrote, so no need to repeat it.",
    ),
    # the hand-off, worded from where routing placed the case (`progress.standing`)
    "handoff": (
        "{closed}已为您转接人工客服（工单 {ticket}），{then}，您无需重复描述问题。",
        "{closed}You are being transferred to a person (case {ticket}); {then} — no need to repeat yourself.",
    ),
    "handoff_then_by": ("客服将在 {when} 前与您联系", "an agent will contact you by {when}"),
    "handoff_then_agent": ("客服{agent}将在 {when} 前与您联系", "{agent} will contact you by {when}"),
    "handoff_then_soon": ("客服将尽快与您联系", "an agent will contact you as soon as possible"),
    "handoff_then_place": ("您目前排在第 {position} 位", "you are number {position} in the queue"),
    "handoff_then_place_eta": (
        "您目前排在第 {position} 位，预计{eta}有客服接入",
        "you are number {position} in the queue and an agent is expected {eta}",
    ),
    "more": ("详情请见：{title}", "More: {title}"),
    "only_in": ("抱歉，这个回答目前只有{language}版本：", "This answer is only available in {language}:"),
}


def bot_text(key: str, locale: str, **values: str) -> str:
    zh, en = BOT_TEXTS[key]
    template = en if locale == "en" else zh
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template
