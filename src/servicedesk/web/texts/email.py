"""What the ticket page says about a mail that could not be read fully (channels/email)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "email_review_intro": (
        "此邮件未能完整识别，请人工核对原件（已附在本条消息中）：",
        "This mail could not be read fully; please check the original (attached to this message): ",
    ),
    "email_review_undecodable": (
        "部分文字的编码无法识别，已用 � 代替",
        "some characters could not be decoded (shown as �)",
    ),
    "email_review_structure": (
        "邮件结构已损坏，已尽量还原",
        "the mail's structure was broken and has been rebuilt",
    ),
    "email_review_no_headers": ("邮件没有信头", "the mail had no headers"),
    "email_review_no_sender": (
        "找不到发件人地址，无法通过邮件回复",
        "no sender address: replies cannot go out by email",
    ),
    "email_review_unparsed": (
        "邮件无法解析，正文为原始内容",
        "the mail could not be parsed; the text is the raw content",
    ),
}
