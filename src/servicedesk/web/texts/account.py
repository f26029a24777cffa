"""A person's own settings: the time zone they read times in (R-PE-2)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "account_title": ("个人设置", "My settings"),
    "account_time_zone": ("我的时区", "My time zone"),
    "account_time_zone_hint": (
        "页面上的所有时间都按这里的时区显示，填写日期时间时也按它理解。",
        "Every time on these pages is shown in this zone, and dates you enter are read in it.",
    ),
    "account_now": ("按此时区，现在是 {now}。", "In this zone it is now {now}."),
    "account_saved": ("已保存。", "Saved."),
    "account_save": ("保存", "Save"),
}
