"""WeChat Official Account (微信公众号) protocol: signatures, safe-mode encryption, inbound XML and
replies. Pure functions only: no I/O, database or HTTP framework; the web layer wires them up."""

from servicedesk.channels.wechat.crypto import WeChatCrypto
from servicedesk.channels.wechat.errors import (
    BadPadding,
    BadSignature,
    MalformedMessage,
    StaleTimestamp,
    TooLarge,
    WeChatError,
    WrongAppId,
)
from servicedesk.channels.wechat.reply import (
    classify_api_error,
    customer_service_payload,
    encode_payload,
    passive_text_reply,
    within_service_window,
)
from servicedesk.channels.wechat.signature import (
    check_msg_signature,
    check_signature,
    msg_signature,
    plain_signature,
)
from servicedesk.channels.wechat.xml import extract_encrypt, parse_inbound

__all__ = [
    "BadPadding",
    "BadSignature",
    "MalformedMessage",
    "StaleTimestamp",
    "TooLarge",
    "WeChatCrypto",
    "WeChatError",
    "WrongAppId",
    "check_msg_signature",
    "check_signature",
    "classify_api_error",
    "customer_service_payload",
    "encode_payload",
    "extract_encrypt",
    "msg_signature",
    "parse_inbound",
    "passive_text_reply",
    "plain_signature",
    "within_service_window",
]
