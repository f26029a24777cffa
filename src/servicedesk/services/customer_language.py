"""The language a case's customer writes, read from their latest messages (`domain.language`),
with the profile's language only when nothing they wrote shows one.

Routing asks it for the case's needs (an English chat needs someone who writes English) and
the progress messages for the words they send; a web-chat visitor's profile says Chinese
because nobody told it otherwise, so the profile alone would get both wrong.
"""

from __future__ import annotations

from sqlalchemy import select

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.language import prevailing, supported
from servicedesk.domain.routing_rules import LanguageSource
from servicedesk.store.models import Customer, Message, Ticket
from servicedesk.store.uow import UnitOfWork

RECENT = 10  # the customer's latest messages weighed together


async def case_language(
    uow: UnitOfWork, ticket: Ticket, customer: Customer | None = None
) -> tuple[str, LanguageSource]:
    """Chinese or English, and whether it came from the messages or the profile. One indexed read
    of the case's latest customer messages (`ix_messages_ticket_created`)."""
    bodies = await uow.session.scalars(
        select(Message.body)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(RECENT)
    )
    written = prevailing(bodies)
    if written is not None:
        return written, LanguageSource.MESSAGES
    customer = customer or await uow.session.get(Customer, ticket.customer_id)
    return supported(customer.locale if customer is not None else None), LanguageSource.PROFILE
