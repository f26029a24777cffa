"""REST API under /api/v1; the OpenAPI document at /api/v1/openapi.json is the contract."""

from fastapi import APIRouter

from servicedesk.web.api import auth, customers, staff, tickets

router = APIRouter(prefix="/api/v1")
for module in (auth, tickets, customers, staff):
    router.include_router(module.router)
