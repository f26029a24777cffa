"""Roles (R-PE-1), what each may do, and which tickets each may see.

The visibility rule is stated once here; the services turn it into a SQL filter for lists and
a check for single tickets, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from servicedesk.domain.labels import register


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    EXPERT = "expert"
    SUPERVISOR = "supervisor"
    DEPARTMENT_LEAD = "department_lead"
    QUALITY_INSPECTOR = "quality_inspector"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self is not Role.CUSTOMER


class Permission(StrEnum):
    VIEW_ALL_TICKETS = "view_all_tickets"
    WORK_TICKETS = "work_tickets"  # reply, note, change fields and status
    VIEW_CUSTOMERS = "view_customers"
    EDIT_CUSTOMERS = "edit_customers"
    REVEAL_PII = "reveal_pii"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SYSTEM = "manage_system"  # outbox dead letters, channel settings
    WRITE_KNOWLEDGE = "write_knowledge"  # draft articles, read drafts, propose phrasings
    PUBLISH_KNOWLEDGE = "publish_knowledge"  # publish, archive, restore; approve scripts
    MANAGE_ASSISTANT = "manage_assistant"  # intents, the bot's review queue
    MANAGE_SERVICE_LEVELS = "manage_service_levels"  # SLA policies and business calendars
    APPROVE_ACTIONS = "approve_actions"  # refunds and compensation above the requester's limit


class Visibility(StrEnum):
    ALL = "all"
    TEAMS_AND_ASSIGNED = "teams_and_assigned"
    OWN = "own"


for _value, _zh, _en in [
    (Role.CUSTOMER, "客户", "Customer"),
    (Role.AGENT, "一线客服", "Agent"),
    (Role.EXPERT, "专家", "Expert"),
    (Role.SUPERVISOR, "主管", "Supervisor"),
    (Role.DEPARTMENT_LEAD, "部门负责人", "Department lead"),
    (Role.QUALITY_INSPECTOR, "质检员", "Quality inspector"),
    (Role.ADMIN, "管理员", "Administrator"),
]:
    register(_value, _zh, _en)

_P = Permission
_WORKER = frozenset(
    {_P.WORK_TICKETS, _P.VIEW_CUSTOMERS, _P.EDIT_CUSTOMERS, _P.REVEAL_PII, _P.WRITE_KNOWLEDGE}
)
# knowledge editors (R-KB-1): experts own the content of their field, supervisors and admins
# run the bot; a front-line agent drafts and proposes, someone senior publishes
_EDITOR = frozenset({_P.PUBLISH_KNOWLEDGE})
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CUSTOMER: frozenset(),
    Role.AGENT: _WORKER,
    Role.EXPERT: _WORKER | _EDITOR,
    Role.DEPARTMENT_LEAD: _WORKER | _EDITOR,
    Role.SUPERVISOR: _WORKER
    | _EDITOR
    | {_P.VIEW_ALL_TICKETS, _P.MANAGE_ASSISTANT, _P.MANAGE_SERVICE_LEVELS, _P.APPROVE_ACTIONS},
    Role.QUALITY_INSPECTOR: frozenset({_P.VIEW_ALL_TICKETS, _P.VIEW_CUSTOMERS}),
    Role.ADMIN: _WORKER
    | _EDITOR
    | {_P.VIEW_ALL_TICKETS, _P.MANAGE_STAFF, _P.MANAGE_SYSTEM, _P.MANAGE_ASSISTANT, _P.MANAGE_SERVICE_LEVELS}
    | {_P.APPROVE_ACTIONS},
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a staff user, or a customer signed in to the help center."""

    user_id: int
    role: Role
    name: str = ""
    team_ids: frozenset[int] = field(default_factory=frozenset)
    customer_id: int | None = None
    time_zone: str | None = None  # where they read times (R-PE-2); None: the organisation's

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def visibility(self) -> Visibility:
        if self.role is Role.CUSTOMER:
            return Visibility.OWN
        if self.can(Permission.VIEW_ALL_TICKETS):
            return Visibility.ALL
        return Visibility.TEAMS_AND_ASSIGNED

    def sees(self, *, customer_id: int, team_id: int | None, assignee_id: int | None) -> bool:
        """The single-ticket form of the visibility rule."""
        match self.visibility:
            case Visibility.ALL:
                return True
            case Visibility.OWN:
                return self.customer_id is not None and customer_id == self.customer_id
            case Visibility.TEAMS_AND_ASSIGNED:
                return assignee_id == self.user_id or (team_id in self.team_ids)
