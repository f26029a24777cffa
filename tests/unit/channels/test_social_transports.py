"""The Weibo and Douyin reply transports against their APIs' recorded formats: what we send,
and how each answer is classified (sent; permanent, with what the agent is told; or retried)."""

from __future__ import annotations

import pytest

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem as P
from tests.fake_social import FakeDouyin, FakeWeibo, recorded

WEIBO = recorded("weibo")
DOUYIN = recorded("douyin")


def weibo_dm() -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.WEIBO, recipient="2489518277", body="您好，左耳机没有声音请先重置配对：同时长按两侧 10 秒。",
        metadata={"source": "private_message", "ticket_id": "7", "message_id": "12"},
    )  # fmt: skip


def weibo_comment(
    body: str = "您好，已为您加急处理，请留意私信。", target: str = "3700057402482222"
) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.WEIBO, recipient="2084126291", body=body,
        metadata={"source": "comment", "comment_id": "3700057402482223", "target": target},
    )  # fmt: skip


def douyin_dm() -> OutboundMessage:
    wanted = DOUYIN["im_send_request"]["json"]
    return OutboundMessage(
        channel=Channel.DOUYIN, recipient=wanted["to_user_id"], body=wanted["content"]["text"]["text"],
        metadata={"source": "private_message", "reply_to": wanted["msg_id"],
                  "conversation": wanted["conversation_id"]},
    )  # fmt: skip


def douyin_comment() -> OutboundMessage:
    wanted = DOUYIN["comment_reply_request"]["json"]
    return OutboundMessage(
        channel=Channel.DOUYIN, recipient="5adb9d61-b91a-4382-8252-b0cea8793e35", body=wanted["content"],
        metadata={"source": "comment", "comment_id": wanted["comment_id"], "target": wanted["item_id"]},
    )  # fmt: skip


# ------------------------------------------------------------------ Weibo


async def test_weibo_answers_a_follower_through_the_fan_service_reply_api() -> None:
    fake = FakeWeibo()
    await fake.transport().send(weibo_dm())
    wanted = WEIBO["message_reply_request"]
    assert fake.sent == [(wanted["url"], wanted["form"])]


async def test_weibo_answers_a_comment_under_its_post() -> None:
    fake = FakeWeibo()
    await fake.transport().send(weibo_comment())
    wanted = WEIBO["comment_reply_request"]
    assert fake.sent == [(wanted["url"], wanted["form"])]


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("not_a_follower", P.RECIPIENT),
        ("privacy_settings", P.RECIPIENT),
        ("comment_gone", P.NO_TARGET),
        ("content_illegal", P.CONTENT),
        ("expired_token", P.CREDENTIALS),
        ("invalid_access_token", P.CREDENTIALS),
    ],
)
async def test_weibo_refusals_retrying_cannot_fix_are_permanent(case: str, problem: P) -> None:
    with pytest.raises(TransportError) as refused:
        await FakeWeibo([case]).transport().send(weibo_comment())
    assert (refused.value.permanent, refused.value.problem) == (True, problem)
    assert str(WEIBO[case]["body"]["error_code"]) in refused.value.reason  # the platform's words kept


@pytest.mark.parametrize("case", ["user_rate_limit", "system_error", "network"])
async def test_weibo_rate_limits_outages_and_the_network_are_retried(case: str) -> None:
    with pytest.raises(TransportError) as failed:
        await FakeWeibo([case]).transport().send(weibo_dm())
    assert failed.value.permanent is False
    assert failed.value.final_problem is P.GAVE_UP  # what the case says if every retry fails


async def test_weibo_text_over_its_limit_and_masked_ids_never_reach_the_api() -> None:
    fake = FakeWeibo()
    with pytest.raises(TransportError) as too_long:
        await fake.transport().send(weibo_comment(body="很" * 141))
    with pytest.raises(TransportError) as masked:
        await fake.transport().send(weibo_comment(target="1380****678"))
    assert (too_long.value.permanent, too_long.value.problem) == (True, P.CONTENT)
    assert (masked.value.permanent, masked.value.problem) == (True, P.NO_TARGET)
    assert fake.sent == []


async def test_weibo_comment_replies_report_the_address_only_when_configured() -> None:
    fake = FakeWeibo()
    await fake.transport(client_ip=None).send(weibo_comment())
    assert "rip" not in fake.sent[0][1]


# ------------------------------------------------------------------ Douyin


async def test_douyin_answers_a_private_message_in_its_conversation() -> None:
    fake = FakeDouyin()
    await fake.transport().send(douyin_dm())
    wanted = DOUYIN["im_send_request"]
    [(url, headers, body)] = fake.sent
    assert (url, body) == (wanted["url"], wanted["json"])
    assert headers["access-token"] == wanted["headers"]["access-token"]
    assert headers["content-type"].startswith("application/json")


async def test_douyin_answers_a_comment_under_the_video() -> None:
    fake = FakeDouyin()
    await fake.transport().send(douyin_comment())
    wanted = DOUYIN["comment_reply_request"]
    [(url, _headers, body)] = fake.sent
    assert (url, body) == (wanted["url"], wanted["json"])


@pytest.mark.parametrize("stale", ["token_expired", "token_invalid"])
async def test_douyin_renews_a_refused_token_once_and_sends_again(stale: str) -> None:
    fake = FakeDouyin([stale])
    transport = fake.transport()
    await transport.send(douyin_dm())
    await transport.send(douyin_dm())  # the fresh token is kept
    assert [h["access-token"] for _u, h, _b in fake.sent] == [
        "act.test_douyin_token", "act.refreshed_douyin_token", "act.refreshed_douyin_token",
    ]  # fmt: skip
    assert fake.refreshes == [
        {
            "client_key": "awexampleclientkey",
            "grant_type": "refresh_token",
            "refresh_token": "rft.test_refresh_token",
        }
    ]


async def test_douyin_token_problems_that_a_refresh_cannot_fix_are_credential_failures() -> None:
    with pytest.raises(TransportError) as no_refresh:
        await FakeDouyin(["token_expired"]).transport(refresh_token=None).send(douyin_dm())
    with pytest.raises(TransportError) as refresh_expired:
        await FakeDouyin(["token_expired"], refresh=["refresh_expired"]).transport().send(douyin_dm())
    still_refused = FakeDouyin(["token_expired", "token_expired"])
    with pytest.raises(TransportError) as twice:
        await still_refused.transport().send(douyin_dm())
    for failure in (no_refresh, refresh_expired, twice):
        assert (failure.value.permanent, failure.value.problem) == (True, P.CREDENTIALS)
    assert len(still_refused.refreshes) == 1  # renewed once, not in a loop


@pytest.mark.parametrize(
    ("case", "problem"),
    [("user_banned", P.RECIPIENT), ("sensitive_words", P.CONTENT), ("invalid_comment", P.NO_TARGET)],
)
async def test_douyin_refusals_retrying_cannot_fix_are_permanent(case: str, problem: P) -> None:
    with pytest.raises(TransportError) as refused:
        await FakeDouyin([case]).transport().send(douyin_comment())
    assert (refused.value.permanent, refused.value.problem) == (True, problem)
    assert str(DOUYIN[case]["body"]["data"]["error_code"]) in refused.value.reason


@pytest.mark.parametrize("case", ["system_busy", "gateway_error", "network"])
async def test_douyin_busy_gateways_and_the_network_are_retried(case: str) -> None:
    with pytest.raises(TransportError) as failed:
        await FakeDouyin([case]).transport().send(douyin_dm())
    assert failed.value.permanent is False


async def test_douyin_needs_the_message_it_answers() -> None:
    fake = FakeDouyin()
    message = douyin_dm()
    orphan = OutboundMessage(channel=message.channel, recipient=message.recipient, body=message.body,
                             metadata={"source": "private_message"})  # fmt: skip
    with pytest.raises(TransportError) as refused:
        await fake.transport().send(orphan)
    assert (refused.value.permanent, refused.value.problem) == (True, P.NO_TARGET)
    assert fake.sent == []
