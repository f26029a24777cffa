"""Server-rendered pages: sign-in, the agent workspace and the customer help center."""

from fastapi import APIRouter

from servicedesk.web.pages import session
from servicedesk.web.pages.session import render_error_page

router = APIRouter(include_in_schema=False)
router.include_router(session.router)

__all__ = ["render_error_page", "router"]
