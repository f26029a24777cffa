"""Watching the bot's conversations on the live-chats page and stepping in."""

MESSAGES: dict[str, tuple[str, str]] = {
    "chats_bot_title": ("机器人接待中", "With the assistant"),
    "chats_bot_empty": (
        "近两小时内没有机器人正在接待的会话。",
        "No conversation with the assistant in the last two hours.",
    ),
    "chats_take_over": ("接管", "Take over"),
}
