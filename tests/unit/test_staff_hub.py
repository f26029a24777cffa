from __future__ import annotations

from typing import Any

from servicedesk.domain.roles import Principal, Role
from servicedesk.web.live import StaffHub


async def test_a_chat_reaches_only_the_staff_who_may_see_the_case() -> None:
    hub = StaffHub()
    heard: dict[str, list[dict[str, Any]]] = {"alice": [], "bob": [], "sue": []}

    def listener(name: str) -> Any:
        async def send(frame: dict[str, Any]) -> None:
            heard[name].append(frame)

        return send

    hub.join(Principal(user_id=1, role=Role.AGENT, team_ids=frozenset({10})), listener("alice"))
    bob = hub.join(Principal(user_id=2, role=Role.AGENT, team_ids=frozenset({20})), listener("bob"))
    hub.join(Principal(user_id=3, role=Role.SUPERVISOR), listener("sue"))
    told = await hub.publish({"type": "chat", "body": "你好"}, customer_id=7, team_id=10, assignee_id=None)
    hub.leave(bob)
    unassigned = await hub.publish(
        {"type": "chat", "body": "在吗"}, customer_id=7, team_id=None, assignee_id=None
    )
    assert (told, unassigned) == (2, 1)
    assert [f["body"] for f in heard["alice"]] == ["你好"]
    assert heard["bob"] == []  # another team's case
    assert [f["body"] for f in heard["sue"]] == ["你好", "在吗"]


async def test_a_personal_frame_reaches_all_of_that_persons_pages_in_each_pages_language() -> None:
    hub = StaffHub()
    heard: list[tuple[str, dict[str, Any]]] = []

    def page(name: str) -> Any:
        async def send(frame: dict[str, Any]) -> None:
            heard.append((name, frame))

        return send

    sue = Principal(user_id=3, role=Role.SUPERVISOR)
    hub.join(sue, page("sue-zh"), locale="zh")
    english = hub.join(sue, page("sue-en"), locale="en")
    hub.join(Principal(user_id=1, role=Role.AGENT), page("alice"))
    assert hub.present() == {1, 3}
    told = await hub.tell(3, lambda locale, _zone: {"text": {"zh": "新通知", "en": "New"}[locale]})
    hub.leave(english)
    assert told == 2 and sorted(heard) == [("sue-en", {"text": "New"}), ("sue-zh", {"text": "新通知"})]
    assert await hub.tell(2, lambda locale, zone: {}) == 0  # nobody of that name is here
