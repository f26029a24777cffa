"""The suggested classification on the ticket page (R-CL-1, R-CL-2)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "cl_title": ("分类建议", "Suggested classification"),
    "cl_hint": (
        "系统根据内容、客户等级和渠道给出的建议；如改为其他类型或优先级，请在属性中填写修改原因。",
        "Suggested from the text, the customer's tier and the channel; to choose another type or "
        "priority, give the reason in the properties form.",
    ),
    "cl_kept": ("已采用", "Kept"),
    "cl_changed": ("已改为", "Changed to"),
    "cl_no_tags": ("无", "None"),
    "cl_why": ("依据", "Why"),
    "cl_reason_keyword": ("关键词「{detail}」", "the words “{detail}”"),
    "cl_reason_model": ("模型判断，置信度 {detail}", "the model, {detail} confident"),
    "cl_reason_model_unsure": ("模型把握不足（{detail}）", "the model was unsure ({detail})"),
    "cl_reason_urgency": ("紧急关键词「{detail}」", "urgent words “{detail}”"),
    "cl_reason_safety": ("安全风险「{detail}」", "safety risk: “{detail}”"),
    "cl_reason_outage": ("大面积故障「{detail}」", "outage: “{detail}”"),
    "cl_reason_legal": ("法律或媒体「{detail}」", "legal or media threat: “{detail}”"),
    "cl_reason_fraud": ("资金或账户安全「{detail}」", "money or account at risk: “{detail}”"),
    "cl_reason_unusable": ("完全无法使用「{detail}」", "cannot be used at all: “{detail}”"),
    "cl_reason_intent": ("识别意图：{detail}", "recognised intent: {detail}"),
    "cl_reason_tier": ("客户等级：{detail}", "customer tier: {detail}"),
    "cl_reason_channel": ("公开渠道：{detail}", "public channel: {detail}"),
    "cl_reason_tag": ("投诉类问题至少为中", "a complaint is at least medium"),
    "cl_reason_default_question": ("一般咨询，未提到影响", "a general question, no impact mentioned"),
    "cl_reason_default_problem": ("报告了问题，未说明影响范围", "a problem report without its impact"),
    "cl_reason_default": ("未发现明确线索，按咨询处理", "no clear clue: treated as a question"),
    "ev_ticket_classified": ("系统分类建议", "Classification suggested"),
    # what the bot's hand-off pre-filled (R-BOT-5), beside the suggestion it shares
    "handoff_slots": ("客户提供的信息", "Details the customer gave"),
    "slot_order_no": ("订单号", "Order"),
    "slot_phone": ("手机", "Phone"),
    "slot_amount": ("金额", "Amount"),
    "slot_date": ("日期", "Date"),
    "f_overrides_suggestion": ("偏离系统建议", "Overrides the suggestion"),
}
