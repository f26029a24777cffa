"""A message's files on the ticket pages."""

MESSAGES: dict[str, tuple[str, str]] = {
    "attach_files": ("添加附件（可选多个）", "Attach files"),
    "attachments_dropped": (
        "以下附件超过大小上限，未能保存，请让发件人压缩或分开后重发：",
        "Too large to keep, not saved (ask the sender for a smaller copy): ",
    ),
}
