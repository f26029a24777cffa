"""`servicedesk eval`'s self-service part plays scripted conversations through the real bot."""

from __future__ import annotations

import json
from pathlib import Path

from servicedesk.evaluation.command import markdown
from servicedesk.evaluation.selfservice import figures, play


async def test_scripted_conversations_are_scored_right_and_wrong(tmp_path: Path) -> None:
    script = tmp_path / "conversations.jsonl"
    rows = [
        {"turns": ["公司报销要发票，怎么开"], "expect": "invoice"},
        {"turns": ["查一下我的订单", "{order_no}"], "expect": "order_status"},
        {"turns": ["怎么开发票"], "expect": "returns"},  # a wrong expectation must count as a miss
        {"turns": ["转人工"], "expect": "handoff"},
    ]
    script.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    outcomes, latencies = await play(script)
    assert [o.resolved for o in outcomes] == [True, True, False, True]
    assert outcomes[2].got == "invoice" and len(latencies) == 5
    rate, handoff, *_speed = figures(outcomes, latencies)
    assert (round(rate.value, 3), rate.met, handoff.value) == (0.667, False, 1.0)
    assert "| self-service | demo shop scripted conversations | resolution rate | 66.7 %" in markdown([rate])
