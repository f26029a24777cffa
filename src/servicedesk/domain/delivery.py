"""Whether a message reached the customer, and why not (the delivery rule every channel follows).

A reply to a customer is stored on the case whatever happens; what differs is whether it left.
`DeliveryState` says how far it got, `DeliveryProblem` why it did not, in words the agent can act
on. A reply that cannot be queued, or that the outbox gives up on, is never a response: the SLA
clock it would have stopped keeps (or goes back to) running.

The reply windows are the platforms' own rules for answering a private message: WeChat's
customer-service messages within 48 hours of the user's last message, Weibo's fan-service
replies within 48 hours, Douyin's `msg_id` valid for 24 hours. Comments have no window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from servicedesk.domain.catalog import Channel
from servicedesk.domain.labels import register


class DeliveryState(StrEnum):
    PENDING = "pending"  # queued in the outbox (or being retried)
    SENT = "sent"  # the platform accepted it
    FAILED = "failed"  # never queued, or the outbox gave up: see the problem


class DeliveryProblem(StrEnum):
    """Why a message did not reach the customer; the first five are known before writing (the
    route), the rest only the platform can say."""

    NOT_CONFIGURED = "not_configured"  # no transport configured for the channel
    NO_ADDRESS = "no_address"  # the customer has no identity on the channel
    ADDRESS_BOUNCED = "address_bounced"  # every identity on it is marked undeliverable
    WINDOW_CLOSED = "window_closed"  # outside the platform's reply window
    NO_TARGET = "no_target"  # nothing to answer: the comment, post or conversation is unknown or gone
    RECIPIENT = "recipient"  # refused for the person: invalid, blocked us, unfollowed, privacy settings
    CONTENT = "content"  # refused for the text: sensitive words, too long, a repeat
    CREDENTIALS = "credentials"  # our account's token or permission was refused
    GAVE_UP = "gave_up"  # temporary failures until the retry budget ran out
    REFUSED = "refused"  # any other permanent refusal


# how long after the customer's last private message the platform lets us answer
REPLY_WINDOWS: Mapping[Channel, timedelta] = {
    Channel.WECHAT: timedelta(hours=48),
    Channel.WEIBO: timedelta(hours=48),
    Channel.DOUYIN: timedelta(hours=24),
}


def window_closes_at(
    channel: Channel, source: str | None, last_inbound_at: datetime | None
) -> datetime | None:
    """When the platform stops accepting an answer to the customer's last private message;
    None when no window applies (comments, email, chat) or nothing is known."""
    window = REPLY_WINDOWS.get(channel)
    if window is None or source == "comment" or last_inbound_at is None:
        return None
    if last_inbound_at.tzinfo is None:
        raise ValueError("last_inbound_at must be timezone-aware")
    return last_inbound_at + window


for _value, _zh, _en in [
    (DeliveryState.PENDING, "发送中", "Sending"),
    (DeliveryState.SENT, "已发出", "Sent"),
    (DeliveryState.FAILED, "未送达", "Not delivered"),
    (DeliveryProblem.NOT_CONFIGURED, "该渠道尚未配置发送", "sending on this channel is not set up"),
    (DeliveryProblem.NO_ADDRESS, "客户在该渠道没有可用账号", "the customer has no account on this channel"),
    (DeliveryProblem.ADDRESS_BOUNCED, "客户地址已退信", "the customer's address bounced"),
    (DeliveryProblem.WINDOW_CLOSED, "已超出平台允许的回复时限", "the platform's reply window has closed"),
    (DeliveryProblem.NO_TARGET, "找不到要回复的评论或会话", "the comment or conversation to answer is gone"),
    (DeliveryProblem.RECIPIENT, "平台拒收：客户无法接收", "refused: the customer cannot receive it"),
    (DeliveryProblem.CONTENT, "平台拒收：内容不被接受", "refused: the platform did not accept the text"),
    (
        DeliveryProblem.CREDENTIALS,
        "平台拒绝了我们的账号凭据",
        "the platform refused our account's credentials",
    ),
    (DeliveryProblem.GAVE_UP, "多次重试仍未发出", "still not sent after repeated retries"),
    (DeliveryProblem.REFUSED, "平台拒收", "refused by the platform"),
]:
    register(_value, _zh, _en)
