"""The bot's administration: intents, a dry run of the classifier, the learning queue, and why
a case was handed over."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from servicedesk.domain.assistant import HandoffReason, Urgency
from servicedesk.domain.catalog import TicketType
from servicedesk.domain.errors import Forbidden, NotFound
from servicedesk.domain.roles import Permission
from servicedesk.services import bot_review
from servicedesk.services import intents as svc
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.services.assistant import Assistant, handoff_of
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(prefix="/assistant", tags=["assistant"])


class IntentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=50)]
    label_zh: Annotated[str, Field(max_length=100)]
    label_en: Annotated[str, Field(max_length=100)]
    examples: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=500)]
    slots: list[str] = []
    article_id: int | None = None
    script_id: int | None = None
    answer: Annotated[str, Field(max_length=5000)] = ""
    answer_en: Annotated[str, Field(max_length=5000, description="the answer template in English")] = ""
    connector: str | None = None
    handoff: bool = False
    ticket_type: TicketType | None = None
    urgency: Urgency = Urgency.NORMAL
    active: bool = True

    def content(self) -> svc.IntentContent:
        data = self.model_dump()
        return svc.IntentContent(
            **{**data, "examples": tuple(data["examples"]), "slots": tuple(data["slots"])}
        )


class IntentOut(IntentIn):
    model_config = ConfigDict(extra="forbid", from_attributes=True)
    id: int
    updated_at: datetime


class TryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class TryOut(BaseModel):
    intent: str | None
    confidence: float
    ranked: list[tuple[str, float]]


class ReviewGroupOut(BaseModel):
    kind: bot_review.ReviewKind
    turn_ids: list[int]
    questions: list[str]
    article_id: int | None
    article_title: str | None
    confidence: float


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turn_ids: Annotated[list[int], Field(min_length=1, max_length=500)]
    action: bot_review.ReviewAction
    article_id: int | None = None
    intent_id: int | None = None
    phrasings: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=100)] = []


class ReviewOut(BaseModel):
    target_id: int | None


class HandoffOut(BaseModel):
    ticket_id: int
    conversation_id: int
    reason: HandoffReason | None
    urgency: Urgency | None
    detail: dict[str, Any] | None


@router.get("/intents", response_model=list[IntentOut])
async def list_intents(principal: CurrentPrincipal, uow: UowFactory) -> list[IntentOut]:
    async with uow(write=False) as u:
        return [IntentOut.model_validate(i) for i in await svc.list_intents(u, principal)]


@router.get("/intents/{intent_id}", response_model=IntentOut)
async def get_intent(intent_id: int, principal: CurrentPrincipal, uow: UowFactory) -> IntentOut:
    async with uow(write=False) as u:
        return IntentOut.model_validate(await svc.get_intent(u, principal, intent_id))


@router.post("/intents", response_model=IntentOut, status_code=201)
async def create_intent(body: IntentIn, principal: CurrentPrincipal, uow: UowFactory) -> IntentOut:
    async with uow() as u:
        return IntentOut.model_validate(await svc.save_intent(u, principal, body.content()))


@router.put("/intents/{intent_id}", response_model=IntentOut)
async def replace_intent(
    intent_id: int, body: IntentIn, principal: CurrentPrincipal, uow: UowFactory
) -> IntentOut:
    async with uow() as u:
        return IntentOut.model_validate(
            await svc.save_intent(u, principal, body.content(), intent_id=intent_id)
        )


@router.post("/try", response_model=TryOut)
async def try_classifier(
    body: TryIn, request: Request, principal: CurrentPrincipal, uow: UowFactory
) -> TryOut:
    """What the bot would make of a sentence, without a conversation: for tuning examples."""
    require(principal, Permission.WRITE_KNOWLEDGE)
    assistant: Assistant = request.app.state.assistant
    async with uow(write=False) as u:
        brain = await assistant.brain(u)
    if brain.model is None:
        return TryOut(intent=None, confidence=0.0, ranked=[])
    prediction = brain.model.predict(body.text)
    return TryOut(intent=prediction.intent, confidence=prediction.confidence, ranked=list(prediction.ranked))


@router.get("/review", response_model=list[ReviewGroupOut])
async def review_queue(principal: CurrentPrincipal, uow: UowFactory) -> list[ReviewGroupOut]:
    async with uow(write=False) as u:
        groups = await bot_review.review_queue(u, principal)
    return [ReviewGroupOut.model_validate(g, from_attributes=True) for g in groups]


@router.post("/review", response_model=ReviewOut)
async def resolve_review(body: ReviewIn, principal: CurrentPrincipal, uow: UowFactory) -> ReviewOut:
    async with uow() as u:
        target = await bot_review.resolve(
            u, principal, body.turn_ids, body.action, article_id=body.article_id,
            intent_id=body.intent_id, phrasings=body.phrasings,
        )  # fmt: skip
    return ReviewOut(target_id=target)


@router.get("/handoffs/{ticket_id}", response_model=HandoffOut)
async def handoff(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> HandoffOut:
    """Why the bot handed this case over (R-BOT-5); 404 for a case the bot never had."""
    async with uow(write=False) as u:
        await access_ticket_by_id(u, principal, ticket_id)
        if not principal.role.is_staff:
            raise Forbidden("the hand-off details are for staff")
        session = await handoff_of(u, ticket_id)
        if session is None:
            raise NotFound(f"case #{ticket_id} was not handed over by the bot")
        return HandoffOut(
            ticket_id=ticket_id, conversation_id=session.conversation_id, reason=session.handoff_reason,
            urgency=session.urgency, detail=session.handoff_detail,
        )  # fmt: skip
