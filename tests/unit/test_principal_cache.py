from __future__ import annotations

from servicedesk.domain.roles import Principal, Role
from servicedesk.services.auth import PrincipalCache

ALICE = Principal(user_id=1, role=Role.AGENT, name="Alice")


def test_it_remembers_for_its_ttl_only() -> None:
    now = [100.0]
    cache = PrincipalCache(10, clock=lambda: now[0])
    cache.put(PrincipalCache.token_key("sd_abc"), ALICE)
    assert cache.get(PrincipalCache.token_key("sd_abc")) == ALICE
    assert cache.get(PrincipalCache.token_key("sd_other")) is None
    now[0] = 110.5
    assert cache.get(PrincipalCache.token_key("sd_abc")) is None


def test_it_can_be_turned_off_and_stays_bounded() -> None:
    off = PrincipalCache(0)
    off.put(PrincipalCache.user_key(1), ALICE)
    assert off.get(PrincipalCache.user_key(1)) is None
    small = PrincipalCache(10, max_entries=2)
    for user_id in range(5):
        small.put(PrincipalCache.user_key(user_id), ALICE)
    assert sum(small.get(PrincipalCache.user_key(u)) is not None for u in range(5)) <= 2
