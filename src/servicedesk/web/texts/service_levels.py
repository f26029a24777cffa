"""Escalation, SLA clocks, business calendars and staff notifications."""

MESSAGES: dict[str, tuple[str, str]] = {
    "ev_ticket_escalated": ("升级处理", "Escalated"),
    "ev_sla_warned": ("时效预警", "SLA warning"),
    "ev_sla_breached": ("时效超时", "SLA breached"),
    "ev_sla_supervisor": ("超时通知主管", "SLA breach: supervisor told"),
    "ev_sla_next_tier": ("超时升级", "SLA breach: sent up a tier"),
    "ev_bot_handoff": ("机器人转人工", "Bot hand-off"),
    "sla_title": ("服务时效", "Service levels"),
    "sla_met": ("达标", "Met"),
    "sla_breached": ("超时", "Breached"),
    "sla_left": ("剩余", "Left"),
    "sla_overdue": ("已超时", "Overdue"),
    "sla_due": ("截止", "Due"),
    "sla_left_business": ("剩余营业时间", "Business time left"),
    "sla_target": ("目标", "Target"),
    "sla_stopped_at": ("完成于", "Done at"),
    "sla_breached_at": ("超时于", "Breached at"),
    "escalate": ("升级处理", "Escalate"),
    "escalate_to": ("升级到", "Escalate to"),
    "escalate_reason": ("升级原因", "Reason"),
    "nav_notifications": ("通知", "Notifications"),
    "nav_sla": ("服务时效", "Service levels"),
    "sla_settings": ("服务时效标准", "Service-level standard"),
    "sla_policy": ("时效策略", "SLA policy"),
    "sla_policy_new": ("新建策略", "New policy"),
    "sla_calendar": ("工作日历", "Business calendar"),
    "sla_calendars": ("工作日历", "Business calendars"),
    "sla_calendar_new": ("新建日历", "New calendar"),
    "sla_conditions": ("适用条件", "Conditions"),
    "sla_conditions_hint": (
        "多个条件须同时满足；同一条件内任一值即可。留空表示不限。",
        "Every filled condition must match; within one, any value matches. Empty means any.",
    ),
    "sla_order_hint": (
        "按顺序匹配，第一条满足条件的策略生效。",
        "Policies are tried in order; the first whose conditions match applies.",
    ),
    "sla_targets": ("时效目标（营业时间分钟）", "Targets (business minutes)"),
    "sla_minutes_hint": ("留空表示该策略不设此目标。", "Leave empty for no target of that kind."),
    "sla_position": ("顺序", "Order"),
    "sla_active": ("启用", "Active"),
    "sla_inactive": ("已停用", "Inactive"),
    "sla_every_case": ("所有工单", "Every case"),
    "sla_f_tiers": ("客户等级", "Customer tiers"),
    "sla_f_types": ("问题类型", "Types"),
    "sla_f_priorities": ("优先级", "Priorities"),
    "sla_f_channels": ("渠道", "Channels"),
    "sla_f_tags": ("标签", "Tags"),
    "sla_hours": ("营业时间", "Opening hours"),
    "sla_hours_hint": (
        "例如：mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00（未列出的日子不营业，daily 表示每天）",
        "e.g. mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00 "
        "(days not named are closed; daily = every day)",
    ),
    "sla_time_zone": ("时区", "Time zone"),
    "sla_china_official": ("使用国家法定节假日与调休", "China's official holidays and make-up days"),
    "sla_holidays_staffed": ("法定节假日照常服务", "Staffed on public holidays"),
    "sla_holidays_staffed_hint": (
        "勾选：法定节假日按上面的营业时间照常服务（服务时间默认如此）；不勾选：法定节假日休息，时效暂停计时，"
        "客户会被告知节后上线的时间。自定义休息日总是休息。",
        "Checked: public holidays keep the opening hours above (the service hours' default). "
        "Unchecked: public holidays are closed, deadlines wait, and customers are told when we reopen "
        "after the holiday. Extra closed dates are always closed.",
    ),
    "sla_public_holidays": ("法定节假日", "Public holidays"),
    "sla_holidays_open": ("照常服务", "Staffed"),
    "sla_holidays_closed": ("休息", "Closed"),
    "sla_service_calendar": ("服务时间", "Service hours"),
    "sla_service_hours_is": (
        "服务时间：{hours}。标有“服务时间”的日历同时决定普通咨询的时效、网页聊天的非服务时间提示和欢迎语、"
        "未设排班坐席的工作时间，以及排队的预计时间。",
        'Service hours: {hours}. The calendar tagged "Service hours" sets at once the deadlines of '
        "ordinary questions, the chat's after-hours notice and welcome, the working hours of agents "
        "without a shift of their own, and the queue's estimates.",
    ),
    "sla_holidays": ("自定义休息日", "Extra closed dates"),
    "sla_workdays": ("自定义上班日", "Extra working dates"),
    "sla_dates_hint": ("每行一个日期，格式 YYYY-MM-DD。", "One date per line, as YYYY-MM-DD."),
    "sla_official_gap": (
        "国家节假日数据只到以下年份，请在新年前补充明年的休息日和调休上班日：",
        "China's official calendar data ends with this year; add next year's dates before it starts:",
    ),
    "sla_any_vip": ("任意 VIP", "any VIP"),
    "col_next_due": ("时效", "Next due"),
    "due_left": ("剩 {t}", "in {t}"),
    "due_overdue": ("超时 {t}", "{t} late"),
    "notifications_title": ("我的通知", "My notifications"),
    "notifications_none": ("暂无通知。", "No notifications."),
    "notifications_mark_read": ("全部标为已读", "Mark all read"),
    "n_sla_warning": (
        "{ticket}「{subject}」的{metric}将于 {due} 到期",
        '{metric} on {ticket} "{subject}" is due at {due}',
    ),
    "n_sla_breached": (
        "{ticket}「{subject}」的{metric}已超时（{due}）",
        '{metric} on {ticket} "{subject}" breached at {due}',
    ),
    "n_sla_supervisor": (
        "{ticket}「{subject}」的{metric}超时未处理，请主管跟进",
        '{metric} on {ticket} "{subject}" is still overdue: a supervisor should step in',
    ),
    "n_sla_queue_late": (
        "{ticket}「{subject}」在排队，预计 {expected} 才有人接手，{metric}将于 {due} 超时：请安排处理",
        '{ticket} "{subject}" waits in the queue and is expected to be taken at {expected}, past its '
        "{metric} deadline {due}: please arrange someone",
    ),
    "n_nobody_expected": ("（无人可接）", "(nobody who could take it)"),
    "n_sla_top_tier": (
        "{ticket}「{subject}」的{metric}超时，已升级到自动升级的最高层级，请主管处理",
        '{metric} on {ticket} "{subject}" is overdue as high as the ladder goes: a supervisor must act',
    ),
    "n_ticket_escalated": (
        "{ticket}「{subject}」已升级到 L{tier}（{team}）：{reason}",
        '{ticket} "{subject}" escalated to L{tier} ({team}): {reason}',
    ),
}
