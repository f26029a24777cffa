"""The service standard for supervisors: SLA policies in their order, and business calendars.

Every member of staff may read them (they explain the deadlines on a ticket); saving needs
MANAGE_SERVICE_LEVELS, which the services check, so a form and an API call are refused alike.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.calendars import china_official_years
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.labels import label
from servicedesk.domain.roles import Permission
from servicedesk.domain.sla import VIP, SlaMetric
from servicedesk.services import service_hours, sla, sla_admin
from servicedesk.store.sla import CalendarRow, SlaPolicyRow
from servicedesk.web.deps import UowFactory
from servicedesk.web.i18n import locale_of, translate
from servicedesk.web.pages.forms import optional_id, split_tags
from servicedesk.web.pages.present import render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only

router = APIRouter(prefix="/agent/sla")
Text = Annotated[str, Form(max_length=5000)]
CONDITIONS = ("tiers", "types", "priorities", "channels", "tags")


@router.get("")
async def overview(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        policies = await sla_admin.list_policies(u, me)
        calendars = await sla_admin.list_calendars(u, me)
        described = {
            c.id: (await sla.calendar_by_id(u, c.id)).describe(locale_of(request)) for c in calendars
        }
        service = await service_hours.current(u)
    covered = china_official_years()
    locale = locale_of(request)
    context = {
        "policies": policies, "calendars": calendars, "described": described,
        "conditions": {p.id: _conditions(p, locale) for p in policies},
        "calendar_names": {c.id: c.name for c in calendars}, "metrics": list(SlaMetric),
        "can_manage": me.can(Permission.MANAGE_SERVICE_LEVELS),
        "official_gap": date.today().year + 1 not in covered, "official_last": covered.stop - 1,
        "service_id": service.calendar_id, "service_hours": service.describe(locale),
    }  # fmt: skip
    return render_page(request, "sla_overview.html", me, context)


_KINDS: dict[str, type[StrEnum]] = {
    "tiers": CustomerTier, "types": TicketType, "priorities": Priority, "channels": Channel,
}  # fmt: skip


def _conditions(row: SlaPolicyRow, locale: str) -> list[tuple[str, str]]:
    """A policy's conditions in words (客户等级: 任意 VIP, 优先级: 高), not the stored codes."""

    def word(field: str, value: str) -> str:
        if field == "tiers" and value == VIP:
            return translate("sla_any_vip", locale)
        kind = _KINDS.get(field)
        return label(kind(value), locale) if kind is not None and value in set(kind) else value

    sep = ", " if locale == "en" else "、"
    return [(f, sep.join(word(f, v) for v in getattr(row, f))) for f in CONDITIONS if getattr(row, f)]


def _policy_form(row: SlaPolicyRow | None) -> dict[str, str]:
    if row is None:
        return {"name": "", "position": "100", "active": "on", "calendar_id": "", "tiers": "", "types": "",
                "priorities": "", "channels": "", "tags": ""} | {m.value: "" for m in SlaMetric}  # fmt: skip
    lists = {f: ", ".join(getattr(row, f)) for f in CONDITIONS}
    values = {"name": row.name, "position": str(row.position), "active": "on" if row.active else "",
              "calendar_id": str(row.calendar_id)}  # fmt: skip
    return values | lists | {m.value: str(row.targets.get(m.value) or "") for m in SlaMetric}


async def _policy_page(
    request: Request, me: PagePrincipal, uow: UowFactory, row: SlaPolicyRow | None, values: dict[str, str],
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    async with uow(write=False) as u:
        calendars = await sla_admin.list_calendars(u, me)
    context = {
        "policy": row, "values": values, "errors": errors or {}, "calendars": calendars,
        "metrics": list(SlaMetric), "can_manage": me.can(Permission.MANAGE_SERVICE_LEVELS),
        "choices": {"tiers": [VIP, *CustomerTier], "types": list(TicketType), "priorities": list(Priority),
                    "channels": list(Channel)},
    }  # fmt: skip
    return render_page(request, "sla_policy.html", me, context, status_code)


@router.get("/policies/new")
async def new_policy(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    return await _policy_page(request, me, uow, None, _policy_form(None))


@router.get("/policies/{policy_id}")
async def edit_policy(policy_id: int, request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        row = await sla_admin.get_policy(u, me, policy_id)
    return await _policy_page(request, me, uow, row, _policy_form(row))


def _minutes(raw: str, metric: SlaMetric) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise ValidationFailed("invalid target", fields={metric.value: "whole minutes"})
    return int(raw.strip())


@router.post("/policies")
async def save_policy(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    form = await request.form()
    values = {k: str(v)[:5000] for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.get("csrf", ""))
    policy_id = optional_id(values.get("policy_id"), "policy_id")
    try:
        content = sla_admin.PolicyContent(
            name=values.get("name", ""),
            calendar_id=optional_id(values.get("calendar_id"), "calendar_id") or 0,
            position=optional_id(values.get("position"), "position") or 0,
            active=bool(values.get("active")),
            targets={m.value: _minutes(values.get(m.value, ""), m) for m in SlaMetric},
            **{f: split_tags(values.get(f, "")) for f in CONDITIONS},
        )
        async with uow() as u:
            await sla_admin.save_policy(u, me, content, policy_id=policy_id)
    except ValidationFailed as error:
        async with uow(write=False) as u:
            row = await sla_admin.get_policy(u, me, policy_id) if policy_id else None
        return await _policy_page(request, me, uow, row, values, error.fields or {"name": error.message}, 422)
    return RedirectResponse("/agent/sla", status_code=303)


async def _calendar_page(
    request: Request, me: PagePrincipal, row: CalendarRow | None, values: dict[str, str],
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    context = {
        "calendar": row, "values": values, "errors": errors or {},
        "can_manage": me.can(Permission.MANAGE_SERVICE_LEVELS),
    }  # fmt: skip
    return render_page(request, "sla_calendar.html", me, context, status_code)


def _calendar_form(row: CalendarRow | None) -> dict[str, str]:
    if row is None:
        return {"name": "", "hours": "mon-fri 09:00-12:00,13:00-18:00", "time_zone": "Asia/Shanghai",
                "holidays": "", "workdays": "", "china_official": "on", "holidays_staffed": ""}  # fmt: skip
    return {
        "name": row.name, "hours": row.hours, "time_zone": row.time_zone, "holidays": "\n".join(row.holidays),
        "workdays": "\n".join(row.workdays), "china_official": "on" if row.china_official else "",
        "holidays_staffed": "on" if row.holidays_staffed else "",
    }  # fmt: skip


@router.get("/calendars/new")
async def new_calendar(request: Request, me: PagePrincipal) -> Response:
    staff_only(me)
    return await _calendar_page(request, me, None, _calendar_form(None))


@router.get("/calendars/{calendar_id}")
async def edit_calendar(calendar_id: int, request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        row = await sla_admin.get_calendar(u, me, calendar_id)
    return await _calendar_page(request, me, row, _calendar_form(row))


@router.post("/calendars")
async def save_calendar(
    request: Request, me: PagePrincipal, uow: UowFactory, csrf: Annotated[str, Form()] = "",
    calendar_id: Annotated[str, Form(max_length=20)] = "", name: Annotated[str, Form(max_length=200)] = "",
    hours: Annotated[str, Form(max_length=500)] = "", time_zone: Annotated[str, Form(max_length=64)] = "",
    holidays: Text = "", workdays: Text = "", china_official: Annotated[str, Form(max_length=5)] = "",
    holidays_staffed: Annotated[str, Form(max_length=5)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    values = {"name": name, "hours": hours, "time_zone": time_zone, "holidays": holidays,
              "workdays": workdays, "china_official": china_official,
              "holidays_staffed": holidays_staffed}  # fmt: skip
    row_id = optional_id(calendar_id, "calendar_id")
    content = sla_admin.CalendarContent(
        name=name, hours=hours, time_zone=time_zone or "Asia/Shanghai", holidays=holidays.split(),
        workdays=workdays.split(), china_official=bool(china_official),
        holidays_staffed=bool(holidays_staffed),
    )  # fmt: skip
    try:
        async with uow() as u:
            await sla_admin.save_calendar(u, me, content, calendar_id=row_id)
    except ValidationFailed as error:
        async with uow(write=False) as u:
            row = await sla_admin.get_calendar(u, me, row_id) if row_id else None
        return await _calendar_page(request, me, row, values, error.fields or {"name": error.message}, 422)
    return RedirectResponse("/agent/sla", status_code=303)
