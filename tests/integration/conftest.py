"""Fixtures for the integration tests of the bot."""

from __future__ import annotations

import pytest

from servicedesk.services.assistant import Assistant, AssistantConfig
from servicedesk.services.demo_knowledge import load_knowledge
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork


@pytest.fixture
async def shop(db: Database) -> Assistant:
    async with UnitOfWork(db) as uow:
        await load_knowledge(uow)
        await uow.commit()
    return Assistant(AssistantConfig())
