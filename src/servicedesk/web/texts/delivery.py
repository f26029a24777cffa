"""Whether replies reach the customer: the reply box's warning before writing, each message's
state on the timeline, the notice when the outbox gives up."""

MESSAGES: dict[str, tuple[str, str]] = {
    # the reply box, before writing ({channel} is the channel's label)
    "delivery_cannot_title": (
        "现在无法通过{channel}回复这位客户",
        "A reply cannot reach this customer on {channel} right now",
    ),
    "delivery_why": ("原因：{reason}。", "Why: {reason}."),
    "delivery_kept_not_counted": (
        "回复仍会保存在工单上，但不会发出，也不计入响应时效。",
        "It is kept on the case but not sent, and it does not count as a response.",
    ),
    "delivery_public": (
        "此回复将作为公开评论显示在{channel}上，请勿写入订单号、电话等个人信息。",
        "This reply is posted as a public comment on {channel}: leave out order and phone numbers "
        "and other personal data.",
    ),
    "delivery_window": ("{channel}接受回复至 {closes}。", "{channel} accepts a reply until {closes}."),
    "delivery_window_closed_at": ("回复时限已于 {closes} 截止。", "The window closed at {closes}."),
    # what to do instead, per problem
    "delivery_advice_not_configured": (
        "请管理员配置{channel}的发送凭据；在此之前请用电话或邮件联系客户，并把结果记为内部备注。",
        "Ask an admin to set up sending on {channel}; until then reach the customer by phone or "
        "email and record the outcome as an internal note.",
    ),
    "delivery_advice_no_address": (
        "客户在{channel}上没有可回复的账号，请用客户资料中的电话或邮件联系。",
        "The customer has no {channel} account we can answer: use the phone or email in their profile.",
    ),
    "delivery_advice_address_bounced": (
        "发往客户地址的邮件已退信，请核实地址或改用电话联系。",
        "Mail to the customer's address bounced: check the address, or call them.",
    ),
    "delivery_advice_window_closed": (
        "{channel}只允许在客户最后一条私信后的限定时间内回复。请等客户再次来信，或改用电话、邮件联系。",
        "{channel} takes answers only for a limited time after the customer's last private "
        "message. Wait for them to write again, or use phone or email.",
    ),
    "delivery_advice_no_target": (
        "客户的评论或会话已找不到（可能已被删除），请改用其他方式联系客户。",
        "The customer's comment or conversation is gone: reach them another way.",
    ),
    "delivery_advice_recipient": (
        "客户已无法接收（可能拉黑、取消关注或设置了隐私），请改用电话或邮件联系。",
        "The customer cannot receive it (blocked us, unfollowed, or privacy settings): use phone or email.",
    ),
    "delivery_advice_content": (
        "平台不接受这段文字（敏感词、过长或重复），请修改后重新发送。",
        "The platform did not accept the text (sensitive words, too long, or a repeat): reword it "
        "and send again.",
    ),
    "delivery_advice_credentials": (
        "我们的{channel}账号凭据被拒绝。请管理员更新凭据后在发送队列中重试。",
        "Our {channel} account's credentials were refused. An admin should renew them and retry the "
        "message from the outbox.",
    ),
    "delivery_advice_gave_up": (
        "{channel}多次重试仍未接受。请管理员检查后重试，或改用其他方式联系客户。",
        "{channel} kept failing. An admin can check and retry it, or reach the customer another way.",
    ),
    "delivery_advice_refused": (
        "{channel}拒绝了这条消息，请改用其他方式联系客户。",
        "{channel} refused the message: reach the customer another way.",
    ),
    # the timeline
    "delivery_sent_at": ("已发出 {time}", "Sent {time}"),
    "delivery_failed_because": ("未送达：{reason}", "Not delivered: {reason}"),
    "delivery_retrying": ("发送中，正在重试", "Sending, retrying"),
    "delivery_not_counted": ("不计入响应时效", "Does not count as a response"),
    "delivery_details": ("平台返回", "What the platform said"),
    # the audit trail and the notification
    "ev_message_undelivered": ("消息未送达", "Message not delivered"),
    "ev_message_delivered": ("重试后已发出", "Sent after a retry"),
    "ev_sla_reopened": ("回复未送达，时效恢复计时", "Reply not delivered: SLA clock running again"),
    "f_problem": ("原因", "Reason"),
    "n_message_undelivered": (
        "{ticket}「{subject}」的一条消息未能送达客户：{reason}",
        'A message on {ticket} "{subject}" did not reach the customer: {reason}',
    ),
}
