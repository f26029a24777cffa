"""Language versions of articles and scripts (issue 12, defect 6), on both databases: an editor
adds an article's English version through the API or the knowledge page, it lives through the
usual draft → publish with its own history, one live version per language, and the bot answers
English customers from it once it is published. Intents get an English answer template."""

from __future__ import annotations

from typing import Any

import httpx

from servicedesk.domain.assistant import Action
from servicedesk.services.assistant import Assistant
from servicedesk.store.db import Database
from tests.conftest import World
from tests.integration.assistant_support import say, visitor_with_order
from tests.integration.test_pages import sign_in

KB = "/api/v1/kb"
PAIRING = {
    "title": "Pairing the earbuds",
    "body": "Open the case, hold its button for 3 seconds until the light flashes white, then choose the "
    "earbuds in your phone's Bluetooth list.",
    "questions": ["how to pair the earbuds"],
    "locale": "en",
}


async def _article(client: httpx.AsyncClient, world: World, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{KB}/articles", json=body, headers=world.alice.auth)


async def _published_source(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    made = await _article(
        client, world, {"title": "退换货政策", "body": "七天无理由退货。", "tags": ["售后"]}
    )
    assert made.status_code == 201, made.text
    published = await client.post(
        f"{KB}/articles/{made.json()['id']}/publish", json={"revision": 1}, headers=world.eve.auth
    )
    assert published.status_code == 200, published.text
    data: dict[str, Any] = published.json()
    return data


async def test_an_editor_adds_the_english_version_of_an_article(
    client: httpx.AsyncClient, world: World
) -> None:
    source = await _published_source(client, world)
    english = {
        "title": "Returns",
        "body": "Return within 7 days.",
        "locale": "en",
        "translation_of": source["id"],
    }
    made = await _article(client, world, english)
    assert made.status_code == 201, made.text
    version = made.json()
    assert (version["translation_of"], version["locale"], version["status"], version["revision"]) == (
        source["id"], "en", "draft", 1,
    )  # fmt: skip
    assert version["tags"] == []  # what is sent is what is stored: the page copies the source's
    staff_view = (await client.get(f"{KB}/articles/{source['id']}", headers=world.alice.auth)).json()
    assert [(v["locale"], v["status"], v["is_source"]) for v in staff_view["versions"]] == [
        ("zh", "published", True), ("en", "draft", False),
    ]  # fmt: skip
    public = (await client.get(f"{KB}/articles/{source['id']}")).json()
    assert [v["locale"] for v in public["versions"]] == ["zh"]  # a draft is nobody else's business
    history = await client.get(f"{KB}/articles/{version['id']}/history", headers=world.alice.auth)
    assert [r["revision"] for r in history.json()] == [1]

    again = await _article(client, world, english)
    assert again.status_code == 409
    assert again.json()["error"]["fields"] == {"translation_of": f"the en version is {version['id']}"}
    same = await _article(client, world, {**english, "locale": "zh"})
    assert same.status_code == 422 and "locale" in same.json()["error"]["fields"]
    via_translation = await _article(client, world, {**english, "translation_of": version["id"]})
    assert via_translation.status_code == 409  # a translation of a translation joins its source
    unknown = await _article(client, world, {**english, "translation_of": 999_999})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"] == {
        "translation_of": "no article 999999"
    }
    moved = await client.patch(
        f"{KB}/articles/{version['id']}", json={"locale": "zh", "revision": 1}, headers=world.alice.auth
    )
    assert moved.status_code == 422 and "locale" in moved.json()["error"]["fields"]


async def test_once_published_the_english_version_answers_english_customers(
    client: httpx.AsyncClient, db: Database, shop: Assistant, world: World
) -> None:
    await visitor_with_order(db)
    before = await say(db, shop, "how to pair the earbuds")
    assert before is not None and before.replies[0].startswith("This answer is only available in Chinese:")
    source = next(
        a
        for a in (await client.get(f"{KB}/articles", params={"q": "配对"})).json()["items"]
        if a["locale"] == "zh"
    )
    made = await _article(client, world, {**PAIRING, "translation_of": source["id"]})
    assert made.status_code == 201, made.text
    draft = await say(db, shop, "how to pair the earbuds")
    assert draft is not None and draft.replies[0].startswith("This answer is only available in Chinese:")
    published = await client.post(
        f"{KB}/articles/{made.json()['id']}/publish", json={"revision": 1}, headers=world.eve.auth
    )
    assert published.status_code == 200
    after = await say(db, shop, "How do I pair the earbuds?")
    assert after is not None and after.action is Action.ANSWER
    assert after.replies[0] == PAIRING["body"]


async def test_the_knowledge_page_adds_a_version(client: httpx.AsyncClient, world: World) -> None:
    source = await _published_source(client, world)
    csrf = await sign_in(client, world.alice)
    page = await client.get(f"/agent/kb/articles/{source['id']}")
    assert page.status_code == 200
    link = f"/agent/kb/articles/new?translation_of={source['id']}&amp;locale=en"
    assert "语言版本" in page.text and link in page.text and "添加英文版本" in page.text
    form = await client.get(f"/agent/kb/articles/new?translation_of={source['id']}&locale=en")
    assert "译自：" in form.text and "七天无理由退货。" in form.text
    assert '<option value="en" selected>' in form.text
    fields = {
        "csrf": csrf,
        "title": "Returns",
        "body": "Return within 7 days.",
        "locale": "en",
        "tags": "售后",
    }
    saved = await client.post("/agent/kb/articles/new", data={**fields, "translation_of": str(source["id"])})
    assert saved.status_code == 303, saved.text
    version = await client.get(saved.headers["location"])
    assert "Returns" in version.text and f'href="/agent/kb/articles/{source["id"]}"' in version.text
    again = await client.post("/agent/kb/articles/new", data={**fields, "translation_of": str(source["id"])})
    assert again.status_code == 409 and "已有该语言的版本" in again.text
    assert 'value="Return within 7 days."' not in again.text and "Return within 7 days." in again.text  # kept
    back = await client.get(f"/agent/kb/articles/{source['id']}")
    assert "添加英文版本" not in back.text and "原文" in back.text


async def test_scripts_have_language_versions_of_one_scenario(
    client: httpx.AsyncClient, world: World
) -> None:
    made = await client.post(
        f"{KB}/scripts", json={"scenario": "apology", "title": "致歉", "body": "非常抱歉，{customer_name}。"},
        headers=world.alice.auth,
    )  # fmt: skip
    assert made.status_code == 201
    english = {"scenario": "apology", "title": "Apology", "body": "We are very sorry, {customer_name}.",
               "locale": "en", "translation_of": made.json()["id"]}  # fmt: skip
    version = await client.post(f"{KB}/scripts", json=english, headers=world.alice.auth)
    assert version.status_code == 201 and version.json()["translation_of"] == made.json()["id"]
    again = await client.post(f"{KB}/scripts", json=english, headers=world.alice.auth)
    assert again.status_code == 409
    other = await client.post(
        f"{KB}/scripts", json={**english, "scenario": "refund", "locale": "en"}, headers=world.alice.auth
    )
    assert other.status_code == 409  # the English one exists; a different scenario is refused too
    mismatch = await client.post(
        f"{KB}/scripts", json={**english, "scenario": "refund", "locale": "zh"}, headers=world.alice.auth
    )
    assert mismatch.status_code == 422


async def test_an_intent_keeps_its_english_answer_template(client: httpx.AsyncClient, world: World) -> None:
    body = {
        "name": "store_hours", "label_zh": "营业时间", "label_en": "Opening hours",
        "examples": ["你们几点开门", "what time do you open"], "answer": "我们每天 8 点到 22 点营业。",
        "answer_en": "We are open daily from 8:00 to 22:00.",
    }  # fmt: skip
    made = await client.post("/api/v1/assistant/intents", json=body, headers=world.sue.auth)
    assert made.status_code == 201, made.text
    assert made.json()["answer_en"] == body["answer_en"]
    too_long = await client.post(
        "/api/v1/assistant/intents",
        json={**body, "name": "other", "answer_en": "x" * 5001},
        headers=world.sue.auth,
    )
    assert too_long.status_code == 422


async def test_the_help_center_shows_each_answer_once_in_the_readers_language(
    client: httpx.AsyncClient, world: World
) -> None:
    source = await _published_source(client, world)
    english = {
        "title": "Returns",
        "body": "Return within 7 days.",
        "locale": "en",
        "translation_of": source["id"],
    }
    made = (await _article(client, world, english)).json()
    await client.post(f"{KB}/articles/{made['id']}/publish", json={"revision": 1}, headers=world.eve.auth)
    chinese = await client.get("/help/articles")
    assert "退换货政策" in chinese.text and ">Returns<" not in chinese.text
    client.cookies.set("sd_lang", "en")
    listed = await client.get("/help/articles")
    assert ">Returns<" in listed.text and "退换货政策" not in listed.text
    found = await client.get("/help/articles", params={"q": "退货"})
    assert ">Returns<" in found.text and "退换货政策" not in found.text
    page = await client.get(f"/help/articles/{source['id']}")
    assert (
        "Also in:" in page.text and f'href="/help/articles/{made["id"]}" lang="en">English</a>' in page.text
    )
