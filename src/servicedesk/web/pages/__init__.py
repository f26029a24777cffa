"""Server-rendered pages: sign-in, the agent workspace and the customer help center."""

from fastapi import APIRouter

from servicedesk.web.pages import (
    account,
    agent,
    approvals,
    assistant,
    chats,
    classification,  # noqa: F401 - registers its ticket-page panel
    collaboration,
    customer_history,
    help_articles,
    helpcenter,
    incidents,
    knowledge,
    notifications,
    queue,
    service_levels,
    session,
)
from servicedesk.web.pages.session import render_error_page

router = APIRouter(include_in_schema=False)
router.include_router(session.router)
router.include_router(account.router)
router.include_router(chats.router)
router.include_router(assistant.router)
router.include_router(notifications.router)
router.include_router(service_levels.router)
router.include_router(incidents.router)
router.include_router(approvals.router)
router.include_router(collaboration.router)
router.include_router(customer_history.router)
router.include_router(queue.router)
router.include_router(agent.router)
router.include_router(helpcenter.router)
router.include_router(knowledge.router)
router.include_router(help_articles.router)

__all__ = ["render_error_page", "router"]
