"""Merge two customer records into one, and undo it (R-IN-2, R-IN-3).

A merge moves the merged customer's identities, tickets, conversations and authored messages to
the survivor, adds their tags, and (when the survivor has none) their help-center login. It
writes down exactly what moved, so undo moves exactly that back — records created after the
merge stay with the survivor. Both are audit events.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from servicedesk.domain.errors import Conflict, NotFound, ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services.access import CUSTOMER_PROFILE, access_customer_by_id, require
from servicedesk.store.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    CustomerTag,
    Message,
    Ticket,
)
from servicedesk.store.uow import UnitOfWork

# (model, customer column) pairs whose rows follow the customer.
_FOLLOWERS: tuple[tuple[Any, Any], ...] = (
    (CustomerIdentity, CustomerIdentity.customer_id),
    (Ticket, Ticket.customer_id),
    (Conversation, Conversation.customer_id),
    (Message, Message.author_customer_id),
)


async def _ids(uow: UnitOfWork, column: Any, customer_id: int, model: Any) -> list[int]:
    return list(await uow.session.scalars(select(model.id).where(column == customer_id).order_by(model.id)))


async def _move(uow: UnitOfWork, model: Any, column: Any, ids: list[int], to: int) -> None:
    if ids:
        await uow.session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values({column.key: to})
            .execution_options(synchronize_session=False)
        )


async def merge_customers(
    uow: UnitOfWork, actor: Principal, *, survivor_id: int, merged_id: int, reason: str
) -> CustomerMerge:
    require(actor, Permission.EDIT_CUSTOMERS)
    if survivor_id == merged_id:
        raise ValidationFailed(
            "cannot merge a customer into itself", fields={"merge_id": "choose another customer"}
        )
    survivor = await access_customer_by_id(uow, actor, survivor_id)
    merged = await access_customer_by_id(uow, actor, merged_id)
    if survivor.merged_into_id or merged.merged_into_id:
        raise Conflict("one of these customers was already merged into another; undo that first")
    if survivor.user_id and merged.user_id:
        raise Conflict("both customers have help-center accounts; one must be closed before merging")
    moved: dict[str, Any] = {m.__tablename__: await _ids(uow, c, merged.id, m) for m, c in _FOLLOWERS}
    for model, column in _FOLLOWERS:
        await _move(uow, model, column, moved[model.__tablename__], survivor.id)
    have = {t.tag for t in survivor.tags}
    moved["tags_added"] = sorted({t.tag for t in merged.tags} - have)
    survivor.tags.extend(CustomerTag(tag=t) for t in moved["tags_added"])
    moved["user_id"] = merged.user_id
    if merged.user_id:
        login, merged.user_id = merged.user_id, None
        await uow.session.flush()  # the login is unique: free it before the survivor takes it
        survivor.user_id = login
    merged.merged_into_id = survivor.id
    record = CustomerMerge(
        survivor_id=survivor.id, merged_id=merged.id, moved=moved, reason=reason,
        merged_by_id=actor.user_id, merged_at=uow.now(),
    )  # fmt: skip
    uow.session.add(record)
    await uow.session.flush()
    uow.record(
        actor, "customer.merged", subject_type="customer", subject_id=survivor.id,
        after={"merged_id": merged.id, "merge_id": record.id, "reason": reason,
               **{k: len(v) for k, v in moved.items() if isinstance(v, list)}},
    )  # fmt: skip
    await uow.commit()
    return record


async def undo_merge(uow: UnitOfWork, actor: Principal, merge_id: int) -> CustomerMerge:
    require(actor, Permission.EDIT_CUSTOMERS)
    record = await uow.session.get(CustomerMerge, merge_id)
    if record is None:
        raise NotFound(f"merge {merge_id} not found")
    if record.undone_at is not None:
        raise Conflict("this merge was already undone")
    survivor = await uow.session.get(Customer, record.survivor_id, options=CUSTOMER_PROFILE)
    merged = await uow.session.get(Customer, record.merged_id, options=CUSTOMER_PROFILE)
    if survivor is None or merged is None:  # customers are never deleted; kept for clarity
        raise NotFound("a customer of this merge no longer exists")
    for model, column in _FOLLOWERS:
        await _move(uow, model, column, record.moved.get(model.__tablename__, []), merged.id)
    added = set(record.moved.get("tags_added", []))
    survivor.tags = [t for t in survivor.tags if t.tag not in added]
    if record.moved.get("user_id") and survivor.user_id == record.moved["user_id"]:
        survivor.user_id = None
        await uow.session.flush()
        merged.user_id = record.moved["user_id"]
    merged.merged_into_id = None
    record.undone_at, record.undone_by_id = uow.now(), actor.user_id
    uow.record(
        actor, "customer.merge_undone", subject_type="customer", subject_id=survivor.id,
        after={"merged_id": merged.id, "merge_id": record.id},
    )  # fmt: skip
    await uow.commit()
    return record
