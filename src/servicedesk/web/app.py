"""The composition root for HTTP: settings, database, middleware, routers, error pages."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from servicedesk import __version__
from servicedesk.channels.email.server import start_mail_listener
from servicedesk.channels.registry import transports
from servicedesk.channels.webchat.hub import ChatHub
from servicedesk.domain.assistant import BotRules
from servicedesk.jobs import routing as queue_drainer
from servicedesk.jobs.outbox import Dispatcher
from servicedesk.jobs.sla import SlaWorker
from servicedesk.nlp.cases import default_model as default_case_model
from servicedesk.nlp.embeddings import load_encoder
from servicedesk.services import knowledge_index
from servicedesk.services.assistant import Assistant, AssistantConfig
from servicedesk.services.auth import PrincipalCache
from servicedesk.services.sla_defaults import ensure_defaults
from servicedesk.settings import Settings, get_settings
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from servicedesk.web import api, channels, pages
from servicedesk.web.bell import Bell
from servicedesk.web.errors import install_error_handlers
from servicedesk.web.live import StaffHub
from servicedesk.web.pages.session import LoginRequired


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = db or Database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        worker = sla_worker = drainer = bell = None
        if settings.run_dispatcher:
            delivery = transports(settings, chat_hub=app.state.chat_hub)
            dispatcher = Dispatcher(database, delivery, worker_id=f"web-{os.getpid()}")
            worker = asyncio.create_task(dispatcher.run_forever(stop))
            await ensure_defaults(database)
            ladder = SlaWorker(database, worker_id=f"web-{os.getpid()}")
            sla_worker = asyncio.create_task(ladder.run_forever(stop, idle_s=settings.sla_worker_interval_s))
            drainer = asyncio.create_task(
                queue_drainer.run_forever(database, stop, idle_s=settings.routing_drain_interval_s)
            )
            ringer = Bell(database, app.state.staff_hub, time_zone=settings.default_time_zone)
            bell = asyncio.create_task(ringer.run_forever(stop, idle_s=settings.notification_push_interval_s))
        warming = asyncio.create_task(_warm(app.state.assistant, database))
        mail = None
        if settings.smtp_listen_port:
            mail = await start_mail_listener(database, settings)
        yield
        if mail is not None:
            mail.close()
            await mail.wait_closed()
        stop.set()
        warming.cancel()
        for task in (worker, sla_worker, drainer, bell):
            if task is not None:
                await task
        if db is None:  # we made it, we close it
            await database.dispose()

    app = FastAPI(
        title="servicedesk",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.principals = PrincipalCache(settings.auth_cache_seconds)
    app.state.chat_hub = ChatHub()
    app.state.staff_hub = StaffHub()
    app.state.assistant = Assistant(assistant_config(settings))
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="sd_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    install_error_handlers(app, pages.render_error_page)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)

    app.include_router(api.router)
    app.include_router(channels.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def assistant_config(settings: Settings) -> AssistantConfig:
    encoder = load_encoder(settings.embedding_model)
    if encoder is not None:
        knowledge_index.use_encoder(encoder)
    defaults = BotRules()
    rules = BotRules(
        handoff_rating_max=settings.bot_handoff_rating_max,
        max_consecutive_misses=settings.bot_max_misses,
        handoff_phrases=_words(settings.bot_handoff_phrases, defaults.handoff_phrases),
        urgent_keywords=_words(settings.bot_urgent_keywords, defaults.urgent_keywords),
        critical_keywords=_words(settings.bot_critical_keywords, defaults.critical_keywords),
    )
    return AssistantConfig(
        enabled=settings.assistant_enabled, channels=frozenset(settings.assistant_channels),
        bot_name=settings.bot_name, rules=rules, intent_threshold=settings.bot_intent_threshold,
        article_min_confidence=settings.bot_article_min_confidence,
        encoder=encoder,
    )  # fmt: skip


async def _warm(assistant: Assistant, db: Database) -> None:
    """Train the case classifier and the bot in the background at start; a failure here is
    logged, the server runs on (they train on first use instead)."""
    try:
        await asyncio.to_thread(default_case_model)  # every new case's suggestion reads it
        async with UnitOfWork(db, write=False) as uow:
            await assistant.warm(uow)
    except Exception:
        logging.getLogger(__name__).exception("warming the assistant failed")


def _words(configured: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return default if configured is None else tuple(configured)
