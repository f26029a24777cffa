"""Keeping the customer informed on the agent's side (R-HD-7)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "resolve_summary": ("处理结果（解决时告知客户）", "What was done (told to the customer on resolving)"),
    "resolve_summary_hint": (
        "例如：已为您补发新耳机，运单号 SF123…",
        "e.g. a new pair was sent, tracking SF123…",
    ),
}
