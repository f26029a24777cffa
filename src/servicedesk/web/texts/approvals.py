"""Refunds, compensation and other service actions with authority limits and approval."""

MESSAGES: dict[str, tuple[str, str]] = {
    # the audit trail: events and their fields
    "ev_action_requested": ("申请服务操作", "Service action requested"),
    "ev_action_approved": ("批准服务操作", "Service action approved"),
    "ev_action_rejected": ("驳回服务操作", "Service action rejected"),
    "ev_action_executed": ("服务操作已执行", "Service action carried out"),
    "ev_action_failed": ("服务操作执行失败", "Service action failed"),
    "f_action_kind": ("操作", "Action"),
    "f_action_status": ("操作状态", "Action status"),
    "f_amount": ("金额", "Amount"),
    "f_currency": ("币种", "Currency"),
    "f_order_no": ("订单号", "Order"),
    "f_basis": ("依据", "Basis"),
    "f_limit_amount": ("申请人额度", "Requester's limit"),
    "f_approver_id": ("审批人", "Approver"),
    "f_requested_by_id": ("申请人", "Requested by"),
    "f_connector_ref": ("业务系统单号", "Business reference"),
    "f_failure": ("失败原因", "Failure"),
    # staff notifications ({ticket} {subject} {reason})
    "n_action_pending": (
        "工单 {ticket}「{subject}」有一项服务操作超出申请人额度，等待您审批。依据：{reason}",
        "Case {ticket} “{subject}”: a service action above the requester's limit awaits your approval. "
        "Basis: {reason}",
    ),
    "n_action_executed": (
        "工单 {ticket}「{subject}」：您申请的服务操作已获批准并执行。",
        "Case {ticket} “{subject}”: your service action was approved and carried out.",
    ),
    "n_action_failed": (
        "工单 {ticket}「{subject}」：您申请的服务操作已批准，但业务系统执行失败：{reason}",
        "Case {ticket} “{subject}”: your service action was approved but the business system refused it: "
        "{reason}",
    ),
    "n_action_rejected": (
        "工单 {ticket}「{subject}」：您申请的服务操作被驳回：{reason}",
        "Case {ticket} “{subject}”: your service action was rejected: {reason}",
    ),
    # the ticket panel and the approvals page
    "nav_approvals": ("审批", "Approvals"),
    "ap_title": ("退款与补偿", "Refunds and compensation"),
    "ap_request": ("申请服务操作", "Request an action"),
    "ap_kind": ("操作", "Action"),
    "ap_amount": ("金额（元）", "Amount (yuan)"),
    "ap_amount_hint": (
        "本次操作的总金额；补发为所补商品的价值。",
        "The whole cost of the action; for a reshipment, the value of the goods sent again.",
    ),
    "ap_compensation": ("其中补偿（元）", "Of which compensation (yuan)"),
    "ap_compensation_hint": (
        "仅“补发并补偿”填写：总金额中补偿的部分，其余为补发商品的价值。",
        "Reship and compensate only: the compensation part of the amount; the rest is the goods' value.",
    ),
    "ap_order_no": ("订单号", "Order number"),
    "ap_basis": ("处理依据", "Written basis"),
    "ap_basis_hint": (
        "写明理由与凭证，例如：客户提供破损照片，物流签收记录显示外包装破损。",
        "State the reason and the evidence, e.g. photos of the damage, the courier's delivery record.",
    ),
    "ap_submit": ("提交", "Submit"),
    "ap_your_limit": ("您的权限额度", "Your limit"),
    "ap_no_limit": ("不限", "no limit"),
    "ap_limit_rule": (
        "额度内（含等于额度）立即执行；超出额度需主管审批后执行。",
        "Up to and including your limit it is carried out at once; above it a supervisor must approve.",
    ),
    "ap_none": ("本工单暂无服务操作。", "No service actions on this case."),
    "ap_requested_by": ("申请人", "Requested by"),
    "ap_approver": ("审批人", "Approver"),
    "ap_within_limit": ("额度内，无需审批", "Within the requester's limit"),
    "ap_result": ("执行结果", "Result"),
    "ap_failure": ("失败原因", "Failure"),
    "ap_note": ("审批意见", "Note"),
    "ap_note_hint": ("批准可不填；驳回必须说明理由。", "Optional to approve; required to reject."),
    "ap_approve": ("批准并执行", "Approve and carry out"),
    "ap_reject": ("驳回", "Reject"),
    "ap_pending_title": ("待审批的服务操作", "Service actions awaiting approval"),
    "ap_pending_none": ("没有等待审批的服务操作。", "Nothing is waiting for approval."),
    "ap_case": ("工单", "Case"),
    "ap_requested_at": ("申请时间", "Requested"),
    "ap_requester_limit": ("申请人额度", "Requester's limit"),
    "ap_own_request": (
        "这是您本人的申请，须由其他主管审批。",
        "Your own request: another supervisor decides.",
    ),
    "ap_above_limit": ("金额超出您的审批额度。", "The amount is above your own limit."),
    "ap_go_approvals": ("去审批", "Review"),
    "ap_form_title": ("申请服务操作", "Request a service action"),
    "ap_back_to_case": ("返回工单", "Back to the case"),
    "ap_limits_title": ("权限额度", "Authority limits"),
    "ap_role": ("角色", "Role"),
}
