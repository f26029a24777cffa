"""Phone verification by one-time code: the text leaves through the outbox, the code is checked
with limits, and a verified number identifies the customer from then on."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from servicedesk.channels.sms.transport import LogSmsTransport
from servicedesk.domain.catalog import Channel
from servicedesk.jobs.outbox import Dispatcher
from servicedesk.store.db import Database
from servicedesk.store.models import Outbox, PhoneVerification
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World


async def _code_from_the_log(db: Database, caplog: pytest.LogCaptureFixture) -> str:
    with caplog.at_level(logging.INFO, logger="servicedesk.sms"):
        result = await Dispatcher(db, {Channel.PHONE: LogSmsTransport()}, worker_id="sms").run_once()
    assert result.sent == 1
    found = re.search(r"验证码是 (\d{6})", caplog.text)
    assert found, caplog.text
    return found.group(1)


async def test_a_customer_verifies_their_phone_with_the_texted_code(
    client: httpx.AsyncClient, db: Database, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    carol = world.carol.customer_id
    started = await client.post(f"/api/v1/customers/{carol}/phone-verifications", json={"phone": "+86 139 0000 1234"},
                                headers=world.carol.auth)  # fmt: skip
    assert started.status_code == 202, started.text
    assert started.json()["phone"] == "139****1234"
    code = await _code_from_the_log(db, caplog)
    assert "13900001234" not in caplog.text  # the number is masked in the log
    async with UnitOfWork(db, write=False) as uow:
        stored = await uow.session.scalar(select(PhoneVerification.code_hash))
    assert stored is not None and code not in stored  # only a salted hash is kept
    vid = started.json()["id"]
    wrong = await client.post(f"/api/v1/phone-verifications/{vid}/confirm", json={"code": "000000" if code != "000000" else "111111"},
                              headers=world.carol.auth)  # fmt: skip
    assert wrong.status_code == 422
    assert "4 tries left" in wrong.json()["error"]["fields"]["code"]
    ok = await client.post(
        f"/api/v1/phone-verifications/{vid}/confirm", json={"code": code}, headers=world.carol.auth
    )
    assert ok.json() == {
        "customer_id": carol,
        "phone": "139****1234",
        "verified": True,
        "merge_candidate_id": None,
    }
    profile = (await client.get(f"/api/v1/customers/{carol}", headers=world.sue.auth)).json()
    assert {"channel": "phone", "external_id": "139****1234", "verified": True} in profile["identities"]
    reused = await client.post(
        f"/api/v1/phone-verifications/{vid}/confirm", json={"code": code}, headers=world.carol.auth
    )
    assert reused.status_code == 409


async def test_codes_expire_run_out_of_tries_and_belong_to_their_customer(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    carol, dave = world.carol.customer_id, world.dave.customer_id
    started = await client.post(f"/api/v1/customers/{carol}/phone-verifications", json={"phone": "13900005678"},
                                headers=world.sue.auth)  # fmt: skip
    vid = started.json()["id"]
    too_soon = await client.post(f"/api/v1/customers/{carol}/phone-verifications", json={"phone": "13900005678"},
                                 headers=world.sue.auth)  # fmt: skip
    assert too_soon.status_code == 409
    others = await client.post(
        f"/api/v1/phone-verifications/{vid}/confirm", json={"code": "123456"}, headers=world.dave.auth
    )
    assert others.status_code == 404  # Dave cannot even learn that Carol's verification exists
    not_for_dave = await client.post(f"/api/v1/customers/{dave}/phone-verifications", json={"phone": "13900009999"},
                                     headers=world.carol.auth)  # fmt: skip
    assert not_for_dave.status_code == 404
    for _ in range(5):
        await client.post(
            f"/api/v1/phone-verifications/{vid}/confirm", json={"code": "999999"}, headers=world.sue.auth
        )
    locked = await client.post(
        f"/api/v1/phone-verifications/{vid}/confirm", json={"code": "999999"}, headers=world.sue.auth
    )
    assert "too many" in locked.json()["error"]["message"]
    bad = await client.post(
        f"/api/v1/customers/{carol}/phone-verifications", json={"phone": "12345"}, headers=world.sue.auth
    )
    assert bad.status_code == 422
    async with UnitOfWork(db) as uow:
        row = await uow.session.get(PhoneVerification, vid)
        assert row is not None
        row.attempts, row.expires_at = 0, db.clock() - timedelta(minutes=1)
        await uow.commit()
    expired = await client.post(
        f"/api/v1/phone-verifications/{vid}/confirm", json={"code": "999999"}, headers=world.sue.auth
    )
    assert "expired" in expired.json()["error"]["message"]
    async with UnitOfWork(db, write=False) as uow:
        texts = list(await uow.session.scalars(select(Outbox.channel)))
    assert texts == [Channel.PHONE]  # one text: the refused second request sent nothing


async def test_a_number_verified_for_someone_else_is_offered_as_a_merge(
    client: httpx.AsyncClient, db: Database, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    dave_phone = (await client.post(f"/api/v1/customers/{world.dave.customer_id}/reveal", json={"field": "phone"},
                                    headers=world.sue.auth)).json()["value"]  # fmt: skip
    started = await client.post(f"/api/v1/customers/{world.carol.customer_id}/phone-verifications",
                                json={"phone": dave_phone}, headers=world.carol.auth)  # fmt: skip
    code = await _code_from_the_log(db, caplog)
    done = await client.post(f"/api/v1/phone-verifications/{started.json()['id']}/confirm", json={"code": code},
                             headers=world.carol.auth)  # fmt: skip
    assert done.json()["merge_candidate_id"] == world.dave.customer_id
    dave = (await client.get(f"/api/v1/customers/{world.dave.customer_id}", headers=world.sue.auth)).json()
    assert [i["channel"] for i in dave["identities"] if i["channel"] == "phone"] == [
        "phone"
    ]  # not taken over
