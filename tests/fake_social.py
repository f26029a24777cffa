"""Weibo's and Douyin's reply APIs played by httpx.MockTransport, answering with the recorded
formats in tests/data/social/{weibo,douyin}_outbound.json (their README names the docs).

Each fake keeps every request it was sent and answers from a script of case names, one per
send; an empty script answers with success.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from servicedesk.channels.social.douyin import DouyinTransport
from servicedesk.channels.social.weibo import WeiboTransport

DATA = Path(__file__).parent / "data" / "social"
WEIBO_TOKEN = "2.00test_weibo_token"
DOUYIN_TOKEN = "act.test_douyin_token"
REFRESH_TOKEN = "rft.test_refresh_token"
DOUYIN_ACCOUNT = "e3af6e1d-d83a-4116-8f9f-5cb8ac2413c7"  # the enterprise account (to_user_id of pushes)


def recorded(platform: str) -> dict[str, Any]:
    cases: dict[str, Any] = json.loads((DATA / f"{platform}_outbound.json").read_text(encoding="utf-8"))
    return cases


def _answer(case: dict[str, Any]) -> httpx.Response:
    if "text" in case:
        return httpx.Response(case["status"], text=case["text"])
    return httpx.Response(case["status"], json=case["body"])


class FakeWeibo:
    def __init__(self, script: list[str] | None = None) -> None:
        self.cases = recorded("weibo")
        self.script = list(script or [])
        self.sent: list[tuple[str, dict[str, str]]] = []  # (url without query, form)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        url = str(request.url.copy_with(query=None))
        self.sent.append((url, form))
        if self.script:
            name = self.script.pop(0)
            if name == "network":
                raise httpx.ConnectError("connection refused", request=request)
            return _answer(self.cases[name])
        ok = "comment_reply_ok" if request.url.path.endswith("comments/reply.json") else "message_reply_ok"
        return _answer(self.cases[ok])

    def transport(self, *, client_ip: str | None = "203.0.113.8") -> WeiboTransport:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return WeiboTransport(access_token=WEIBO_TOKEN, client_ip=client_ip, client=client)


class FakeDouyin:
    def __init__(self, script: list[str] | None = None, *, refresh: list[str] | None = None) -> None:
        self.cases = recorded("douyin")
        self.script = list(script or [])
        self.refresh_script = list(refresh or [])
        self.sent: list[tuple[str, dict[str, str], dict[str, Any]]] = []  # (url, headers, json)
        self.refreshes: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/refresh_token/":
            self.refreshes.append(dict(parse_qsl(request.content.decode("utf-8"))))
            name = self.refresh_script.pop(0) if self.refresh_script else "refresh_ok"
            return _answer(self.cases[name])
        headers = {
            "access-token": request.headers["access-token"],
            "content-type": request.headers["content-type"],
        }
        self.sent.append((str(request.url), headers, json.loads(request.content.decode("utf-8"))))
        if self.script:
            name = self.script.pop(0)
            if name == "network":
                raise httpx.ReadTimeout("timed out", request=request)
            return _answer(self.cases[name])
        ok = "comment_reply_ok" if request.url.path == "/item/comment/reply/" else "im_send_ok"
        return _answer(self.cases[ok])

    def transport(self, *, refresh_token: str | None = REFRESH_TOKEN) -> DouyinTransport:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return DouyinTransport(
            access_token=DOUYIN_TOKEN, open_id=DOUYIN_ACCOUNT, client_key="awexampleclientkey",
            refresh_token=refresh_token, client=client,
        )  # fmt: skip
