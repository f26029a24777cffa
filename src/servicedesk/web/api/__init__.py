"""REST API under /api/v1; the OpenAPI document at /api/v1/openapi.json is the contract."""

from fastapi import APIRouter

from servicedesk.web.api import (
    admin,
    approvals,
    assistant,
    attachments,
    auth,
    collaboration,
    customer_history,
    customers,
    incidents,
    knowledge,
    routing,
    sla,
    staff,
    tickets,
)

router = APIRouter(prefix="/api/v1")
for module in (auth, tickets, customers, staff, admin, assistant, sla):
    router.include_router(module.router)
router.include_router(customers.merge_router)
router.include_router(customers.verification_router)
router.include_router(knowledge.router)
router.include_router(incidents.router)
router.include_router(collaboration.router)
router.include_router(approvals.router)
router.include_router(routing.router)
router.include_router(attachments.router)
router.include_router(customer_history.router)
