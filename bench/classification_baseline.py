"""The word-list classifier the product used before issue 12 (domain/classification.py at the
commit before the trained model), kept here only so `bench.classification` can score it on the
same test split. Type: the first of product quality, technical, service quality whose words
appear, else consultation; priority: a "high" word, else a "medium" word, else low for a
question and medium for a problem; tier and public channel as in the product. No intent hint
(the benchmark has no bot)."""

from __future__ import annotations

from servicedesk.domain.assistant import phrases_in
from servicedesk.domain.catalog import Priority, TicketType

TYPES: dict[TicketType, tuple[str, ...]] = {
    TicketType.PRODUCT_QUALITY: (
        "质量", "坏了", "破损", "损坏", "碎了", "裂了", "故障", "不工作", "开不了机", "不开机",
        "漏水", "异响", "划痕", "瑕疵", "次品", "假货", "褪色", "变形", "过敏", "发霉",
        "没声音", "杂音", "没反应", "不亮", "失灵", "冒烟", "起火", "漏电",
        "broken", "defect", "defective", "damaged", "faulty", "cracked", "fake",
    ),
    TicketType.SERVICE_QUALITY: (
        "态度", "服务差", "不理人", "没人回复", "不回复", "敷衍", "推诿", "踢皮球", "等了很久",
        "承诺", "没兑现", "客服", "快递员", "rude", "ignored", "no reply", "unhelpful",
    ),
    TicketType.TECHNICAL: (
        "无法登录", "登录不了", "登不上", "报错", "错误码", "闪退", "崩溃", "卡死", "蓝屏",
        "连不上", "连接不上", "网络", "安装", "升级", "固件", "驱动", "蓝牙", "配对", "app",
        "接口", "bug", "error", "crash", "login", "cannot connect", "install", "firmware",
    ),
    TicketType.CONSULTATION: (
        "怎么", "如何", "能不能", "可不可以", "是否", "请问", "多少钱", "什么时候", "政策",
        "咨询", "想了解", "how", "what", "when", "can i", "is it possible", "policy",
    ),
}  # fmt: skip
TAGS: dict[str, tuple[str, ...]] = {
    "refund": ("退款", "退钱", "返款", "refund", "money back"),
    "return": ("退货", "退换", "换货", "return", "exchange"),
    "logistics": ("物流", "快递", "发货", "配送", "没收到", "未收到", "运单", "包裹",
                  "delivery", "shipping", "tracking", "parcel"),
    "billing": ("发票", "开票", "扣费", "账单", "多扣", "收费", "invoice", "charged", "billing"),
    "complaint": ("投诉", "12315", "曝光", "消协", "complaint", "complain"),
    "address": ("修改地址", "改地址", "收货地址", "地址写错", "address"),
    "account": ("账号", "账户", "密码", "account", "password"),
}  # fmt: skip
HIGH = (
    "无法使用", "不能用", "完全不能", "用不了", "瘫痪", "停工", "停产", "全部", "所有用户", "大面积",
    "起火", "着火", "爆炸", "冒烟", "漏电", "受伤", "烫伤", "人身安全", "安全隐患", "特急",
    "cannot use", "can't use", "unusable", "outage", "down for everyone", "fire", "injured", "smoke",
)  # fmt: skip
MEDIUM = (
    "部分", "有时", "偶尔", "时好时坏", "经常", "很慢", "变慢", "影响", "紧急", "着急", "尽快",
    "马上", "投诉", "12315", "律师", "起诉", "sometimes", "slow", "partly", "urgent", "asap",
)  # fmt: skip


def old_suggest(text: str) -> tuple[TicketType, Priority, tuple[str, ...]]:
    """Type, priority and tags for a regular customer on a private channel."""
    ticket_type = TicketType.CONSULTATION
    for kind in (TicketType.PRODUCT_QUALITY, TicketType.TECHNICAL, TicketType.SERVICE_QUALITY):
        if phrases_in(text, TYPES[kind]):
            ticket_type = kind
            break
    tags = tuple(tag for tag, words in TAGS.items() if phrases_in(text, words))
    if phrases_in(text, HIGH):
        priority = Priority.HIGH
    elif phrases_in(text, MEDIUM):
        priority = Priority.MEDIUM
    else:
        priority = Priority.LOW if ticket_type is TicketType.CONSULTATION else Priority.MEDIUM
    if "complaint" in tags and priority is Priority.LOW:
        priority = Priority.MEDIUM
    return ticket_type, priority, tags
