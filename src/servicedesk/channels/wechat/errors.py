"""Everything the WeChat protocol layer refuses. Callers answer all of them the same way (HTTP 400
or a silent drop); the subclasses exist for logs and tests."""

from __future__ import annotations


class WeChatError(Exception):
    """A request or message from (or for) WeChat that cannot be trusted or understood."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadSignature(WeChatError):
    """`signature` or `msg_signature` does not match: not from WeChat, or tampered with."""


class StaleTimestamp(WeChatError):
    """The signed timestamp is too far from our clock: a replay, or a badly skewed clock."""


class WrongAppId(WeChatError):
    """The message decrypted, but it was sealed for another official account."""


class BadPadding(WeChatError):
    """The decrypted plaintext does not end in valid 32-byte-block PKCS#7 padding."""


class MalformedMessage(WeChatError):
    """Not the shape the protocol promises: bad XML, a missing field, a truncated ciphertext…"""


class TooLarge(MalformedMessage):
    """Refused before parsing: bigger than any genuine WeChat callback."""
