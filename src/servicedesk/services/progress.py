"""Keeping the customer informed (R-HD-7): when their case changes hands, they hear where it is
and when to expect an answer, on the channel they wrote on — without any agent typing it.

Every message about a person coming is worded from one `Standing`, read once routing has
decided: who has the case, or its place in the queue and the queue's estimate, and whether the
service is open. So one message says one thing ("passed to technical support; you are number 3,
an expert is expected around 18:40"), never a transfer with a deadline beside "no agent is free".

These messages are public replies from the system (`meta.system`), so they are not a person's
response and stop no SLA clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.labels import duration_words
from servicedesk.domain.routing_rules import Workload
from servicedesk.domain.sla import ClockState, SlaMetric
from servicedesk.services import routing, service_hours
from servicedesk.services.customer_language import case_language
from servicedesk.services.outbound import latest_conversation_id, queue_reply
from servicedesk.store.models import Message, Ticket, User
from servicedesk.store.routing import QueueEntry
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
    "transferred": (
        "您好，您的问题（工单 {number}）已转交{to}继续处理{due}。之前的沟通记录都已同步，您无需重复说明。",
        "Your case {number} has been passed to {to}{due}. They have the whole history; there is "
        "no need to repeat anything.",
    ),
    # the clause on when, from the case's standing: appended to a transfer or an escalation
    "then_answer": ("，预计 {when} 前给您答复", "; expect an answer by {when}"),
    "then_place": ("，您目前排在第 {position} 位", "; you are number {position} in the queue"),
    "then_place_eta": (
        "，您目前排在第 {position} 位，预计{eta}有专人接手",
        "; you are number {position} in the queue and someone is expected to take it {eta}",
    ),
    "eta_soon": ("约 {wait}后", "in about {wait}"),
    "eta_at": ("于 {when} 左右", "around {when}"),
    "closed": (
        "现在是非服务时间。服务时间：{hours}；客服将于 {opens} 上线。",
        "We are closed now. Service hours: {hours}; agents are back at {opens}. ",
    ),
    "closed_notice": (
        "现在是非服务时间。服务时间：{hours}。您的留言已记录为工单 {number}，"
        "客服将于 {opens} 上线后尽快回复您。",
        "We are closed now. Service hours: {hours}. Your message is recorded as case {number}; an "
        "agent will answer after we open at {opens}.",
    ),
    "resolved": (
        "您好，您的问题（工单 {number}）已于 {when} 由{who}处理完毕{summary}。如问题已解决，"
        "请回复“确认解决”；如仍未解决，直接回复说明情况，我们会继续跟进。",
        "Your case {number} was resolved by {who} on {when}{summary}. If it is solved, reply "
        "“confirm”; if not, just reply and tell us, and we will carry on.",
    ),
    "resolved_summary": ("：{summary}", ": {summary}"),
    "queued": (
        "您好，{closed}您目前排在第 {position} 位，预计{eta}有客服接待您。"
        "客服接入后会第一时间回复您，请不要离开。",
        "{closed}You are number {position} in the queue; an agent is expected {eta}. They will "
        "answer here as soon as they take it; please stay.",
    ),
    "queued_unknown": (
        "您好，{closed}您目前排在第 {position} 位，暂时无法预估等待时间，我们会尽快安排客服为您服务；"
        "您也可以先留言说明问题。",
        "{closed}You are number {position} in the queue. We cannot estimate the wait yet and will "
        "find an agent as soon as we can; you can describe your question meanwhile.",
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


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a case stands once routing has decided: the one state every automatic message
    about a person coming is worded from. `expected_at` is the SLA's reply deadline for a case
    someone has (or that routing does not handle), the queue's estimate for one that waits
    (None: nobody who could take it is expected); `opens_at` is set while the service is closed."""

    holder: str | None = None
    position: int | None = None  # 1-based place in its queue while it waits
    live: bool = False  # it waits as a chat: the customer is at the screen
    expected_at: datetime | None = None
    opens_at: datetime | None = None
    hours: str = ""  # the service hours in the customer's words

    @property
    def waiting(self) -> bool:
        return self.position is not None


async def standing(uow: UnitOfWork, ticket: Ticket, locale: str) -> Standing:
    """Read where the case stands now, in this transaction (call it after routing decided)."""
    now, service = uow.now(), await service_hours.current(uow)
    opens_at = None if service.is_open(now) else service.next_open(now)
    hours = service.describe(locale)
    if ticket.assignee_id is not None:
        holder = await uow.session.get(User, ticket.assignee_id)
        name = holder.name if holder is not None else None
        due = await expected_answer(uow, ticket)
        return Standing(holder=name, expected_at=due, opens_at=opens_at, hours=hours)
    entry = await uow.session.scalar(
        select(QueueEntry)
        .where(QueueEntry.ticket_id == ticket.id, QueueEntry.left_at.is_(None))
        .order_by(QueueEntry.id.desc())
        .limit(1)
    )
    place = None
    if entry is not None:
        queue = await routing.waiting(uow, queue_key=entry.queue_key, tidy=False)
        place = next((i for i, (e, _) in enumerate(queue, start=1) if e.id == entry.id), None)
    if entry is None or place is None:
        return Standing(expected_at=await expected_answer(uow, ticket), opens_at=opens_at, hours=hours)
    return Standing(
        position=place, live=entry.needs.get("kind") == Workload.CHAT.value, expected_at=entry.expected_at,
        opens_at=opens_at, hours=hours,
    )  # fmt: skip


def eta_text(at: datetime, now: datetime, time_zone: str, locale: str) -> str:
    """When a person is expected, as people say it: in about 8 minutes, or around 10月8日 08:03."""
    if at - now < timedelta(hours=1):
        return text("eta_soon", locale, wait=duration_words(max(at - now, timedelta(minutes=1)), locale))
    return text("eta_at", locale, when=when_text(at, time_zone, locale))


def then_text(where: Standing, now: datetime, time_zone: str, locale: str) -> str:
    """The clause on when, appended to a transfer or an escalation."""
    if where.waiting:
        if where.expected_at is None:
            return text("then_place", locale, position=str(where.position))
        eta = eta_text(where.expected_at, now, time_zone, locale)
        return text("then_place_eta", locale, position=str(where.position), eta=eta)
    if where.expected_at is None:
        return ""
    return text("then_answer", locale, when=when_text(where.expected_at, time_zone, locale))


def closed_text(where: Standing, time_zone: str, locale: str) -> str:
    if where.opens_at is None:
        return ""
    return text("closed", locale, hours=where.hours, opens=when_text(where.opens_at, time_zone, locale))


async def tell_transfer(uow: UnitOfWork, ticket: Ticket, to: str) -> Message:
    """R-HD-7 on transfer: who has the case now and when to expect an answer — or, when it waits
    for someone there, its place and the queue's estimate."""
    locale = await customer_locale(uow, ticket)
    where, tz = await standing(uow, ticket, locale), uow.settings.default_time_zone
    then = then_text(where, uow.now(), tz, locale)
    body = text("transferred", locale, number=ticket.number, to=to, due=then)
    return await tell_customer(uow, ticket, body, reason="transferred")


async def tell_escalated(uow: UnitOfWork, ticket: Ticket, team: str, promise: datetime | None) -> Message:
    """R-HD-7 when the case goes up a tier, worded after routing placed it in the new team: its
    place in their queue, or the experts' `promise` (their solution's deadline)."""
    locale = await customer_locale(uow, ticket)
    where, tz = await standing(uow, ticket, locale), uow.settings.default_time_zone
    if not where.waiting and promise is not None:
        where = replace(where, expected_at=promise)
    then = then_text(where, uow.now(), tz, locale)
    body = text("escalated", locale, number=ticket.number, team=team, due=then)
    return await tell_customer(uow, ticket, body, reason="escalated")


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


async def tell_queued(uow: UnitOfWork, ticket: Ticket) -> Message | None:
    """A live customer whose new case waits for a person hears their place (from 1) and the
    queue's estimate, and, while the service is closed, when it opens; nothing when the case
    does not wait as a chat (an email's customer is not watching a screen)."""
    locale = await customer_locale(uow, ticket)
    where, tz, now = await standing(uow, ticket, locale), uow.settings.default_time_zone, uow.now()
    if not where.waiting or not where.live:
        return None
    closed, position = closed_text(where, tz, locale), str(where.position)
    if where.expected_at is None:
        body = text("queued_unknown", locale, closed=closed, position=position)
    else:
        eta = eta_text(where.expected_at, now, tz, locale)
        body = text("queued", locale, closed=closed, position=position, eta=eta)
    return await tell_customer(uow, ticket, body, reason="queued")
