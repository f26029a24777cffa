"""Keeping the customer informed (R-HD-7): when their case changes hands, they hear where it is
and when to expect an answer, on the channel they wrote on — without any agent typing it.

These messages are public replies from the system (`meta.system`), so they are not a person's
response and stop no SLA clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.labels import duration_words
from servicedesk.domain.sla import ClockState, SlaMetric
from servicedesk.services.customer_language import case_language
from servicedesk.services.outbound import latest_conversation_id, queue_reply
from servicedesk.store.models import Message, Ticket
from servicedesk.store.sla import SlaClock
from servicedesk.store.uow import UnitOfWork

REPLY_METRICS = (
    SlaMetric.FIRST_RESPONSE,
    SlaMetric.HANDOFF_CONTACT,
    SlaMetric.NEXT_REPLY,
    SlaMetric.EXPERT_SOLUTION,
)

TEXTS: dict[str, tuple[str, str]] = {
    "escalated": (
        "您好，您的问题（工单 {number}）已转交{team}进一步处理{due}。处理有进展我们会第一时间通知您。",
        "Your case {number} has been passed to {team} for further handling{due}. "
        "We will let you know as soon as there is progress.",
    ),
    "escalated_due": ("，预计 {when} 前给您答复", "; expect an answer by {when}"),
    "transferred": (
        "您好，您的问题（工单 {number}）已转交{to}继续处理{due}。之前的沟通记录都已同步，您无需重复说明。",
        "Your case {number} has been passed to {to}{due}. They have the whole history; there is "
        "no need to repeat anything.",
    ),
    "resolved": (
        "您好，您的问题（工单 {number}）已于 {when} 由{who}处理完毕{summary}。如问题已解决，"
        "请回复“确认解决”；如仍未解决，直接回复说明情况，我们会继续跟进。",
        "Your case {number} was resolved by {who} on {when}{summary}. If it is solved, reply "
        "“confirm”; if not, just reply and tell us, and we will carry on.",
    ),
    "resolved_summary": ("：{summary}", ": {summary}"),
    "queued": (
        "您好，当前咨询的客户较多，您前面还有 {ahead} 位，预计等待约 {wait}。"
        "客服接入后会第一时间回复您，请不要离开。",
        "All our agents are busy: {ahead} ahead of you, about {wait} to wait. An agent will "
        "answer here as soon as they are free; please stay.",
    ),
    "queued_unknown": (
        "您好，当前暂时没有空闲的客服，您前面还有 {ahead} 位。"
        "客服接入后会第一时间回复您，您也可以先留言说明问题。",
        "No agent is free just now: {ahead} ahead of you. An agent will answer here as soon as one "
        "is free; you can describe your question meanwhile.",
    ),
    # what was done for the customer (R-HD-6, R-HD-8): one text per service action kind
    "action_refund": (
        "您好，订单 {order_no} 的退款 {amount} 元已为您办理，将原路退回，"
        "一般 1–3 个工作日到账（工单 {number}）。",
        "We have refunded {amount} yuan for order {order_no}. It goes back the way you paid and "
        "usually arrives within 1–3 working days (case {number}).",
    ),
    "action_compensation": (
        "您好，针对订单 {order_no} 的问题，我们已为您发放补偿 {amount} 元（工单 {number}）。"
        "给您带来不便，深表歉意。",
        "For the trouble with order {order_no} we have paid you {amount} yuan in compensation "
        "(case {number}). We are sorry for the inconvenience.",
    ),
    "action_free_shipping": (
        "您好，订单 {order_no} 的运费 {amount} 元已为您免除（工单 {number}）。",
        "The shipping fee of {amount} yuan for order {order_no} has been waived (case {number}).",
    ),
    "action_reship": (
        "您好，订单 {order_no} 的商品已为您重新发出：{carrier}，运单号 {tracking_no}，"
        "预计 {eta} 送达（工单 {number}）。",
        "The goods of order {order_no} have been sent again: {carrier}, tracking number {tracking_no}, "
        "expected by {eta} (case {number}).",
    ),
    "action_reship_and_compensation": (
        "您好，订单 {order_no} 的商品已为您重新发出：{carrier}，运单号 {tracking_no}，预计 {eta} 送达；"
        "另为您发放补偿 {compensation} 元（工单 {number}）。给您带来不便，深表歉意。",
        "The goods of order {order_no} have been sent again: {carrier}, tracking number {tracking_no}, "
        "expected by {eta}; we have also paid you {compensation} yuan in compensation (case {number}). "
        "We are sorry for the inconvenience.",
    ),
}


def when_text(moment: datetime, time_zone: str, locale: str) -> str:
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%m-%d %H:%M}" if locale == "en" else f"{local.month}月{local.day}日 {local:%H:%M}"


def text(key: str, locale: str, **values: str) -> str:
    zh, en = TEXTS[key]
    return (en if locale == "en" else zh).format(**values)


async def post(
    uow: UnitOfWork,
    ticket: Ticket,
    kind: MessageKind,
    body: str,
    *,
    meta: dict[str, Any],
    author_user_id: int | None = None,
) -> Message:
    """A message the platform writes on the case's latest conversation (a notice, a note that
    a department answered…): not a person's reply, so it moves no status and no SLA clock."""
    message = Message(
        conversation_id=await latest_conversation_id(uow, ticket.id), ticket_id=ticket.id, kind=kind,
        channel=ticket.channel, author_user_id=author_user_id, body=body, created_at=uow.now(),
        attachments=[], meta=meta,
    )  # fmt: skip
    uow.session.add(message)
    return message


async def tell_customer(uow: UnitOfWork, ticket: Ticket, body: str, *, reason: str) -> Message:
    """A public system message on the case, delivered on its channel through the outbox."""
    message = await post(uow, ticket, MessageKind.REPLY, body, meta={"system": reason})
    await uow.session.flush()
    await queue_reply(uow, ticket, message)
    return message


async def customer_locale(uow: UnitOfWork, ticket: Ticket) -> str:
    """The language the customer writes on this case; their profile's only when nothing they
    wrote shows one (a web-chat visitor's profile says Chinese whatever they type)."""
    language, _ = await case_language(uow, ticket)
    return language


async def expected_answer(uow: UnitOfWork, ticket: Ticket) -> datetime | None:
    """When the customer should next hear from a person: the running reply clock's deadline,
    else the resolution's — what the SLA already promises, not a guess."""
    due = await uow.session.execute(
        select(SlaClock.metric, func.min(SlaClock.due_at))
        .where(SlaClock.ticket_id == ticket.id, SlaClock.state == ClockState.RUNNING, SlaClock.ref.is_(None))
        .group_by(SlaClock.metric)
    )
    by_metric: dict[SlaMetric, datetime] = {metric: at for metric, at in due.all() if at is not None}
    replies = [by_metric[m] for m in REPLY_METRICS if m in by_metric]
    return min(replies) if replies else by_metric.get(SlaMetric.RESOLUTION)


async def tell_transfer(uow: UnitOfWork, ticket: Ticket, to: str) -> Message:
    """R-HD-7 on transfer: who has the case now and when to expect an answer."""
    locale = await customer_locale(uow, ticket)
    due = await expected_answer(uow, ticket)
    when = ""
    if due is not None:
        when = text("escalated_due", locale, when=when_text(due, uow.settings.default_time_zone, locale))
    body = text("transferred", locale, number=ticket.number, to=to, due=when)
    return await tell_customer(uow, ticket, body, reason="transferred")


async def tell_resolved(uow: UnitOfWork, ticket: Ticket, who: str, summary: str | None) -> Message:
    """R-HD-7 on resolution: what was done, when and by whom, and how to confirm or reopen."""
    locale = await customer_locale(uow, ticket)
    moment = ticket.resolved_at or uow.now()
    body = text(
        "resolved", locale, number=ticket.number, who=who,
        when=when_text(moment, uow.settings.default_time_zone, locale),
        summary=text("resolved_summary", locale, summary=summary) if summary else "",
    )  # fmt: skip
    return await tell_customer(uow, ticket, body, reason="resolved")


async def tell_queued(uow: UnitOfWork, ticket: Ticket, ahead: int, wait: timedelta | None) -> Message:
    """A live customer waiting for a person hears where they stand and for how long — the
    queue's own estimate, or plainly that it is unknown (nobody who could take it is on duty)."""
    locale = await customer_locale(uow, ticket)
    if wait is None:
        body = text("queued_unknown", locale, ahead=str(ahead))
    else:
        body = text(
            "queued", locale, ahead=str(ahead), wait=duration_words(max(wait, timedelta(minutes=1)), locale)
        )
    return await tell_customer(uow, ticket, body, reason="queued")
