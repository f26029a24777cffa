"""The bot's pages for staff: intents (list, edit, try a sentence) and the learning queue.

Reading needs WRITE_KNOWLEDGE (every agent); saving an intent needs MANAGE_ASSISTANT, which the
services check, so a page form and an API call are refused alike.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.assistant import Urgency
from servicedesk.domain.catalog import TicketType
from servicedesk.domain.errors import Conflict, ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import bot_review
from servicedesk.services import intents as svc
from servicedesk.services.access import require
from servicedesk.services.assistant import Assistant
from servicedesk.services.connectors import builtin_connectors
from servicedesk.store.assistant import Intent
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.i18n import locale_of
from servicedesk.web.pages.forms import choice, required_choice
from servicedesk.web.pages.present import render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only

router = APIRouter(prefix="/agent/assistant")
TEXT_MAX = 20_000


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@router.get("")
async def intents_page(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    text: Annotated[str, Query(max_length=2000)] = "",
    saved: bool = False,
) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        intents = await svc.list_intents(u, me)
        trial = None
        if text.strip():
            assistant: Assistant = request.app.state.assistant
            brain = await assistant.brain(u)
            trial = brain.model.predict(text) if brain.model is not None else None
    labels = {i.name: i.label_en if locale_of(request) == "en" else i.label_zh for i in intents}
    context = {
        "intents": intents,
        "trial": trial,
        "text": text,
        "labels": labels,
        "saved": saved,
        "can_manage": me.can(Permission.MANAGE_ASSISTANT),
    }
    return render_page(request, "bot_intents.html", me, context)


def _form_values(intent: Intent | None) -> dict[str, str]:
    if intent is None:
        return {"name": "", "label_zh": "", "label_en": "", "examples": "", "slots": "", "answer": "",
                "answer_en": "", "article_id": "", "connector": "", "ticket_type": "",
                "urgency": Urgency.NORMAL.value, "handoff": "", "active": "on"}  # fmt: skip
    return {
        "name": intent.name, "label_zh": intent.label_zh, "label_en": intent.label_en,
        "examples": "\n".join(intent.examples), "slots": " ".join(intent.slots), "answer": intent.answer,
        "answer_en": intent.answer_en, "article_id": str(intent.article_id or ""),
        "connector": intent.connector or "",
        "ticket_type": intent.ticket_type.value if intent.ticket_type else "",
        "urgency": intent.urgency.value,
        "handoff": "on" if intent.handoff else "", "active": "on" if intent.active else "",
    }  # fmt: skip


def _edit_page(
    request: Request,
    me: Principal,
    intent_id: int | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "intent_id": intent_id,
        "values": values,
        "errors": errors,
        "types": list(TicketType),
        "urgencies": list(Urgency),
        "connectors": list(builtin_connectors()),
        "slots": svc.SLOTS,
        "can_manage": me.can(Permission.MANAGE_ASSISTANT),
    }
    return render_page(request, "bot_intent_edit.html", me, context, status_code)


@router.get("/intents/new")
async def new_intent(request: Request, me: PagePrincipal) -> Response:
    staff_only(me)
    require(me, Permission.WRITE_KNOWLEDGE)
    return _edit_page(request, me, None, _form_values(None), {})


@router.get("/intents/{intent_id}")
async def edit_intent(intent_id: int, request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        intent = await svc.get_intent(u, me, intent_id)
        return _edit_page(request, me, intent.id, _form_values(intent), {})


@router.post("/intents")
async def save_intent(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    intent_id: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    label_zh: Annotated[str, Form(max_length=400)] = "",
    label_en: Annotated[str, Form(max_length=400)] = "",
    examples: Annotated[str, Form(max_length=TEXT_MAX * 10)] = "",
    slots: Annotated[str, Form(max_length=200)] = "",
    answer: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    answer_en: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    article_id: Annotated[str, Form(max_length=20)] = "",
    connector: Annotated[str, Form(max_length=64)] = "",
    ticket_type: Annotated[str, Form(max_length=40)] = "",
    urgency: Annotated[str, Form(max_length=40)] = "",
    handoff: Annotated[str, Form(max_length=10)] = "",
    active: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    values = {
        "name": name, "label_zh": label_zh, "label_en": label_en, "examples": examples, "slots": slots,
        "answer": answer, "answer_en": answer_en, "article_id": article_id, "connector": connector,
        "ticket_type": ticket_type, "urgency": urgency, "handoff": handoff, "active": active,
    }  # fmt: skip
    existing = int(intent_id) if intent_id.isdigit() else None
    try:
        content = svc.IntentContent(
            name=name.strip(), label_zh=label_zh.strip(), label_en=label_en.strip(),
            examples=_lines(examples),
            slots=tuple(slots.replace(",", " ").split()), answer=answer.strip(), answer_en=answer_en.strip(),
            article_id=int(article_id) if article_id.strip().isdigit() else None,
            connector=connector.strip() or None,
            ticket_type=choice(TicketType, ticket_type, "ticket_type"),
            urgency=choice(Urgency, urgency, "urgency") or Urgency.NORMAL,
            handoff=bool(handoff), active=bool(active),
        )  # fmt: skip
        async with uow() as u:
            await svc.save_intent(u, me, content, intent_id=existing)
    except (ValidationFailed, Conflict) as error:
        errors = error.fields or {"name": error.message}
        return _edit_page(request, me, existing, values, errors, 422)
    return RedirectResponse("/agent/assistant?saved=1", status_code=303)


@router.get("/review")
async def review_page(request: Request, me: PagePrincipal, uow: UowFactory, done: bool = False) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        groups = await bot_review.review_queue(u, me)
        intents = await svc.list_intents(u, me)
    context = {"groups": groups, "intents": intents, "done": done}
    return render_page(request, "bot_review.html", me, context)


@router.post("/review")
async def review_action(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    turn_ids: Annotated[str, Form(max_length=5000)] = "",
    action: Annotated[str, Form(max_length=40)] = "",
    article_id: Annotated[str, Form(max_length=20)] = "",
    intent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    ids = [int(i) for i in turn_ids.split(",") if i.strip().isdigit()]
    chosen = required_choice(bot_review.ReviewAction, action, "action")
    if not ids:
        raise ValidationFailed("nothing to review", fields={"turn_ids": "required"})
    async with uow() as u:
        target = await _resolve(u, me, ids, chosen, article_id, intent_id)
    if chosen is bot_review.ReviewAction.NEW_DRAFT and target is not None:
        return RedirectResponse(f"/agent/kb/articles/{target}", status_code=303)
    return RedirectResponse("/agent/assistant/review?done=1", status_code=303)


async def _resolve(
    u: UnitOfWork,
    me: Principal,
    ids: list[int],
    action: bot_review.ReviewAction,
    article_id: str,
    intent_id: str,
) -> int | None:
    return await bot_review.resolve(
        u, me, ids, action,
        article_id=int(article_id) if article_id.isdigit() else None,
        intent_id=int(intent_id) if intent_id.isdigit() else None,
    )  # fmt: skip
