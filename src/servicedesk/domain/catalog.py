"""The enumerations the seeds define: problem types, priorities, channels, customer tiers."""

from __future__ import annotations

from enum import StrEnum

from servicedesk.domain.labels import register


class TicketType(StrEnum):
    """The five problem types of R-CL-1."""

    PRODUCT_QUALITY = "product_quality"
    SERVICE_QUALITY = "service_quality"
    TECHNICAL = "technical"
    CONSULTATION = "consultation"
    OTHER = "other"


class Priority(StrEnum):
    """R-CL-2: high = cannot use the product or business seriously affected; medium = partial
    impact; low = general questions."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher is more urgent; used for sorting without trusting alphabetical order."""
        return {"high": 3, "medium": 2, "low": 1}[self.value]


class Channel(StrEnum):
    WEB_CHAT = "web_chat"
    WEB_FORM = "web_form"
    EMAIL = "email"
    PHONE = "phone"
    WECHAT = "wechat"
    WEIBO = "weibo"
    DOUYIN = "douyin"
    API = "api"


class CustomerTier(StrEnum):
    REGULAR = "regular"
    VIP1 = "vip1"
    VIP2 = "vip2"
    VIP3 = "vip3"

    @property
    def is_vip(self) -> bool:
        return self is not CustomerTier.REGULAR


class MessageKind(StrEnum):
    """Who a message is for: the customer sees `inbound` and `reply`, never `note`."""

    INBOUND = "inbound"
    REPLY = "reply"
    NOTE = "note"


for _value, _zh, _en in [
    (TicketType.PRODUCT_QUALITY, "产品质量", "Product quality"),
    (TicketType.SERVICE_QUALITY, "服务质量", "Service quality"),
    (TicketType.TECHNICAL, "技术问题", "Technical"),
    (TicketType.CONSULTATION, "咨询问题", "Consultation"),
    (TicketType.OTHER, "其他", "Other"),
    (Priority.HIGH, "高", "High"),
    (Priority.MEDIUM, "中", "Medium"),
    (Priority.LOW, "低", "Low"),
    (Channel.WEB_CHAT, "在线客服", "Web chat"),
    (Channel.WEB_FORM, "帮助中心", "Help center"),
    (Channel.EMAIL, "邮件", "Email"),
    (Channel.PHONE, "电话", "Phone"),
    (Channel.WECHAT, "微信公众号", "WeChat"),
    (Channel.WEIBO, "微博", "Weibo"),
    (Channel.DOUYIN, "抖音", "Douyin"),
    (Channel.API, "接口", "API"),
    (CustomerTier.REGULAR, "普通会员", "Regular"),
    (CustomerTier.VIP1, "VIP1", "VIP 1"),
    (CustomerTier.VIP2, "VIP2", "VIP 2"),
    (CustomerTier.VIP3, "VIP3", "VIP 3"),
    (MessageKind.INBOUND, "客户消息", "Customer message"),
    (MessageKind.REPLY, "公开回复", "Public reply"),
    (MessageKind.NOTE, "内部备注", "Internal note"),
]:
    register(_value, _zh, _en)
