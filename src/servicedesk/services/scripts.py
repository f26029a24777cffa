"""The script library (话术库, R-KB-3): approved replies by scenario, with `{variables}`.

Staff who write knowledge draft scripts; a knowledge editor approves one by publishing it, and
only published scripts reach an agent's reply box or a channel's welcome. A script is edited
as of the `version` the writer read (optimistic; a stale one is a Conflict). Scripts are an
internal tool: customers never list or read them, they only receive the rendered text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from servicedesk.domain.catalog import Channel
from servicedesk.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from servicedesk.domain.knowledge import ContentStatus, Rendered, ScriptScenario, render, variables
from servicedesk.domain.labels import DEFAULT_LOCALE, SUPPORTED_LOCALES
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import translations
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.services.knowledge_index import refresh_after_commit
from servicedesk.store.knowledge import Script
from servicedesk.store.models import Customer
from servicedesk.store.uow import UnitOfWork

MAX_TITLE = 200
MAX_BODY = 5_000  # a reply, not an article
MAX_NOTE = 2_000
EDITABLE = ("scenario", "title", "body", "compliance_note", "channel", "locale")
_SPACES = re.compile(r"[ \t]{2,}")
_STATUS_ACTIONS = {
    ContentStatus.PUBLISHED: "script.published",
    ContentStatus.ARCHIVED: "script.archived",
    ContentStatus.DRAFT: "script.unpublished",
}


@dataclass(frozen=True, slots=True)
class ScriptContent:
    scenario: ScriptScenario
    title: str
    body: str
    compliance_note: str = ""
    channel: Channel | None = None
    locale: str = DEFAULT_LOCALE

    def cleaned(self) -> ScriptContent:
        title = " ".join(self.title.split())
        errors: dict[str, str] = {}
        if not title or len(title) > MAX_TITLE:
            errors["title"] = f"1 to {MAX_TITLE} characters"
        body = self.body.strip()
        if not body or len(body) > MAX_BODY:
            errors["body"] = f"1 to {MAX_BODY} characters"
        note = self.compliance_note.strip()
        if len(note) > MAX_NOTE:
            errors["compliance_note"] = f"at most {MAX_NOTE} characters"
        if self.locale not in SUPPORTED_LOCALES:
            errors["locale"] = " or ".join(SUPPORTED_LOCALES)
        if self.channel is not None and self.scenario is not ScriptScenario.WELCOME:
            errors["channel"] = "only a welcome script belongs to one channel"
        if errors:
            raise ValidationFailed("invalid script", fields=errors)
        return ScriptContent(self.scenario, title, body, note, self.channel, self.locale)


def snapshot(script: Script) -> dict[str, Any]:
    return {
        "scenario": script.scenario.value,
        "title": script.title,
        "body": script.body,
        "compliance_note": script.compliance_note,
        "channel": script.channel.value if script.channel else None,
        "locale": script.locale,
        "status": script.status.value,
    }


def _event_value(name: str, value: Any) -> Any:
    """Events keep the size of a text, not a copy of it."""
    return {"length": len(value)} if name in ("body", "compliance_note") and value is not None else value


def _record(
    uow: UnitOfWork, actor: Principal | None, action: str, script: Script, before: dict[str, Any]
) -> None:
    after = snapshot(script)
    changed = [k for k in after if before.get(k) != after[k]]
    uow.record(
        actor, action, subject_type="script", subject_id=script.id,
        before={k: _event_value(k, before.get(k)) for k in changed} or None,
        after={k: _event_value(k, after[k]) for k in changed},
    )  # fmt: skip


def _staff(principal: Principal | None) -> Principal:
    if principal is None or not principal.role.is_staff:
        raise NotFound("not found")
    return principal


def _visible(script: Script | None, principal: Principal) -> bool:
    return script is not None and (
        script.status is ContentStatus.PUBLISHED or principal.can(Permission.WRITE_KNOWLEDGE)
    )


async def get_script(uow: UnitOfWork, principal: Principal | None, script_id: int) -> Script:
    """Published scripts for every staff member; drafts and archived ones for their writers."""
    me = _staff(principal)
    script = await uow.session.get(Script, script_id)
    if not _visible(script, me):
        raise NotFound(f"script {script_id} not found")
    assert script is not None
    return script


async def list_scripts(
    uow: UnitOfWork,
    principal: Principal | None,
    *,
    scenario: ScriptScenario | None = None,
    channel: Channel | None = None,
    locale: str | None = None,
    status: ContentStatus | None = None,
) -> list[Script]:
    """By scenario, then title. `channel` narrows to that channel's scripts plus those for all
    channels."""
    me = _staff(principal)
    stmt = select(Script)
    if not me.can(Permission.WRITE_KNOWLEDGE):
        if status not in (None, ContentStatus.PUBLISHED):
            return []
        status = ContentStatus.PUBLISHED
    if status is not None:
        stmt = stmt.where(Script.status == status)
    if scenario is not None:
        stmt = stmt.where(Script.scenario == scenario)
    if channel is not None:
        stmt = stmt.where((Script.channel == channel) | Script.channel.is_(None))
    if locale:
        stmt = stmt.where(Script.locale == locale)
    rows = list(await uow.session.scalars(stmt.order_by(Script.title, Script.id)))
    order = {s: i for i, s in enumerate(ScriptScenario)}
    return sorted(rows, key=lambda s: order[s.scenario])


async def create_script(
    uow: UnitOfWork, actor: Principal, content: ScriptContent, *, translation_of: int | None = None
) -> Script:
    """A new draft, waiting for an editor's approval; with `translation_of`, that script's
    version in `content.locale`, for the same scenario (`services.translations`)."""
    require(actor, Permission.WRITE_KNOWLEDGE)
    c = content.cleaned()
    source = None
    if translation_of is not None:
        found = await uow.session.get(Script, translation_of)
        if not _visible(found, actor):
            raise ValidationFailed("unknown script", fields={"translation_of": f"no script {translation_of}"})
        assert found is not None
        source = await translations.source_for(uow, found, c.locale)
        if source.scenario is not c.scenario:
            raise ValidationFailed(
                "a translation answers the same scenario",
                fields={"scenario": f"the source is {source.scenario}"},
            )
    now = uow.now()
    script = Script(
        scenario=c.scenario, title=c.title, body=c.body, compliance_note=c.compliance_note,
        channel=c.channel, locale=c.locale, status=ContentStatus.DRAFT, owner_id=actor.user_id,
        created_at=now, updated_at=now, translation_of_id=source.id if source is not None else None,
    )  # fmt: skip
    uow.session.add(script)
    await uow.session.flush()
    _record(uow, actor, "script.created", script, {})
    refresh_after_commit(uow, scripts=[script])
    await uow.commit()
    return script


def _check_version(script: Script, expected: int | None) -> None:
    if expected is not None and expected != script.version:
        raise Conflict(
            f"script {script.id} was changed by someone else (version {script.version}, you had "
            f"{expected}); reload and try again",
            fields={"version": f"current version is {script.version}"},
        )


async def update_script(
    uow: UnitOfWork,
    actor: Principal,
    script_id: int,
    *,
    changes: Mapping[str, Any],
    expected_version: int,
) -> Script:
    """Drafts are anyone's who writes knowledge; an approved script only an editor changes
    (and it stays approved: the editor is the approver)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed("unknown fields", fields={f: "not editable" for f in sorted(unknown)})
    nulls = [f for f in ("scenario", "title", "body", "locale") if f in changes and changes[f] is None]
    if nulls:
        raise ValidationFailed("required fields", fields={f: "may not be null" for f in nulls})
    script = await get_script(uow, actor, script_id)
    require(actor, Permission.WRITE_KNOWLEDGE)
    if script.status is not ContentStatus.DRAFT and not actor.can(Permission.PUBLISH_KNOWLEDGE):
        raise Forbidden(f"only a knowledge editor may change a {script.status.value} script")
    _check_version(script, expected_version)
    values = {f: getattr(script, f) for f in EDITABLE} | dict(changes)
    c = ScriptContent(**values).cleaned()
    await translations.check_locale_change(uow, script, c.locale)
    before = snapshot(script)
    script.scenario, script.title, script.body = c.scenario, c.title, c.body
    script.compliance_note, script.channel, script.locale = c.compliance_note, c.channel, c.locale
    if snapshot(script) == before:
        return script
    script.updated_at = uow.now()
    _record(uow, actor, "script.updated", script, before)
    refresh_after_commit(uow, scripts=[script])
    await uow.commit()
    return script


async def set_script_status(
    uow: UnitOfWork,
    actor: Principal,
    script_id: int,
    status: ContentStatus,
    *,
    expected_version: int | None = None,
) -> Script:
    """Approve (publish), retire (archive) or take back to draft: an editor's decision."""
    script = await get_script(uow, actor, script_id)
    require(actor, Permission.PUBLISH_KNOWLEDGE)
    _check_version(script, expected_version)
    if script.status is status:
        return script
    before = snapshot(script)
    script.status, script.updated_at = status, uow.now()
    _record(uow, actor, _STATUS_ACTIONS[status], script, before)
    refresh_after_commit(uow, scripts=[script])
    await uow.commit()
    return script


# --- filling the variables ---------------------------------------------------------------------


def render_script(script: Script, values: Mapping[str, str]) -> Rendered:
    """The script with the values it has filled in; placeholders without one stay visible as
    written (`{order_no}`) for the agent to complete, and are listed in `missing`."""
    return render(script.body, dict(values))


def script_variables(script: Script) -> tuple[str, ...]:
    return variables(script.body)


async def values_for_ticket(uow: UnitOfWork, principal: Principal, ticket_id: int) -> dict[str, str]:
    """The variables a case fills for staff who may see it: who writes, to whom, which case."""
    if not principal.role.is_staff:
        raise NotFound(f"ticket {ticket_id} not found")
    ticket = await access_ticket_by_id(uow, principal, ticket_id)
    customer = await uow.session.scalar(select(Customer.name).where(Customer.id == ticket.customer_id))
    values = {"agent_name": principal.name, "ticket_no": ticket.number}
    if customer:
        values["customer_name"] = customer
    return values


def _fill_for_customer(template: str, values: Mapping[str, str]) -> str:
    """A customer must never see `{customer_name}`: fill what is known, drop the rest."""
    rendered = render(template, dict(values))
    if not rendered.missing:
        return rendered.text
    gone = "\x00"  # render() keeps a placeholder whose value is empty, so mark, then drop
    marked = render(template, {**dict.fromkeys(rendered.missing, gone), **values}).text
    return _SPACES.sub(" ", marked.replace(gone, "")).strip()


async def welcome_text(uow: UnitOfWork, channel: Channel, locale: str, values: dict[str, str]) -> str | None:
    """The published welcome for `channel` in `locale`, rendered; None when there is none.

    Preference: this channel in this locale, any channel in this locale, this channel in
    Chinese, any channel in Chinese — the reader's language matters more than the channel's
    own wording. Among equals the most recently changed one wins. A placeholder without a value
    is left out rather than shown as `{name}`.
    """
    locales = list(dict.fromkeys([locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE, DEFAULT_LOCALE]))
    rows = list(
        await uow.session.scalars(
            select(Script).where(
                Script.scenario == ScriptScenario.WELCOME,
                Script.status == ContentStatus.PUBLISHED,
                Script.locale.in_(locales),
                (Script.channel == channel) | Script.channel.is_(None),
            )
        )
    )
    if not rows:
        return None

    def rank(s: Script) -> tuple[int, int, float, int]:
        return (locales.index(s.locale), 0 if s.channel == channel else 1, -s.updated_at.timestamp(), -s.id)

    return _fill_for_customer(min(rows, key=rank).body, values)
