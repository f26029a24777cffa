from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from servicedesk.channels.wechat import (
    BadPadding,
    BadSignature,
    MalformedMessage,
    StaleTimestamp,
    WeChatCrypto,
    WrongAppId,
    extract_encrypt,
    msg_signature,
    parse_inbound,
)
from servicedesk.channels.wechat.crypto import aes_key, pkcs7_unpad

DATA = Path(__file__).resolve().parents[2] / "data" / "wechat"

# Official Account vector: the official WXBizMsgCrypt Python sample (Sample.py by jonyqin, 2014,
# shipped in WeChat's 加解密示例代码; mirrored e.g. in charlesXu86/Chatbot_CN
# Chatbot_Web/impl/weixin/Sample.py and wegostudio/wego tests/crypto/tests.py).
OA_TOKEN = "spamtest"
OA_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OA_APP_ID = "wx2c2769f8efd9abc2"
OA_TIMESTAMP = "1409735669"
OA_NONCE = "1320562132"
OA_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
OA_NOW = datetime.fromtimestamp(int(OA_TIMESTAMP), tz=UTC)

# Same scheme, WeCom flavour (CorpID in place of the AppID): wechatpy tests/test_crypto.py
# (test_encrypt_message with the random prefix fixed to "1234567890123456", test_decrypt_message).
WORK_TOKEN = "123456"
WORK_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WORK_CORP_ID = "wx49f0ab532d5d035a"
WORK_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
WORK_EXPECTED_ENVELOPE = """<xml>
<Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt>
<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>
<TimeStamp>1411525903</TimeStamp>
<Nonce><![CDATA[461056294]]></Nonce>
</xml>"""
WORK_INBOUND_ENCRYPT = "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
WORK_INBOUND_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
WORK_NOW = datetime.fromtimestamp(1411525903, tz=UTC)

OTHER_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


def oa_crypto(*keys: str, app_id: str = OA_APP_ID) -> WeChatCrypto:
    return WeChatCrypto(OA_TOKEN, keys or (OA_KEY,), app_id)


def raw_seal(plaintext: bytes, encoding_key: str = OA_KEY) -> str:
    """AES-256-CBC with no padding of its own: the test decides every byte."""
    key = aes_key(encoding_key)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode("ascii")


def framed(xml: bytes, app_id: bytes = OA_APP_ID.encode()) -> bytes:
    return b"R" * 16 + struct.pack(">I", len(xml)) + xml + app_id


def signed_decrypt(crypto: WeChatCrypto, encrypt: str, *, token: str = OA_TOKEN) -> str:
    signature = msg_signature(token, OA_TIMESTAMP, OA_NONCE, encrypt)
    return crypto.decrypt(
        encrypt, msg_signature=signature, timestamp=OA_TIMESTAMP, nonce=OA_NONCE, now=OA_NOW
    )


def test_it_decrypts_the_official_sample() -> None:
    envelope = (DATA / "encrypted_envelope.xml").read_text(encoding="utf-8")
    encrypt = extract_encrypt(envelope)
    xml = oa_crypto().decrypt(
        encrypt, msg_signature=OA_MSG_SIGNATURE, timestamp=OA_TIMESTAMP, nonce=OA_NONCE, now=OA_NOW
    )
    message = parse_inbound(xml, received_at=OA_NOW)
    assert message.sender == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message.body == "abcdteT"
    assert message.message_id == "6054768590064713728"
    assert message.metadata["to_user"] == "gh_10f6c3c3ac5a"


def test_it_reproduces_the_published_encrypted_reply() -> None:
    crypto = WeChatCrypto(WORK_TOKEN, [WORK_KEY], WORK_CORP_ID)
    envelope = crypto.encrypt(
        WORK_REPLY, nonce="461056294", timestamp="1411525903", random16=b"1234567890123456"
    )
    assert envelope == WORK_EXPECTED_ENVELOPE


def test_it_decrypts_the_published_wecom_message() -> None:
    crypto = WeChatCrypto(WORK_TOKEN, [WORK_KEY], WORK_CORP_ID)
    xml = crypto.decrypt(
        WORK_INBOUND_ENCRYPT,
        msg_signature=WORK_INBOUND_SIGNATURE,
        timestamp="1411525903",
        nonce="461056294",
        now=WORK_NOW,
    )
    assert "<Content><![CDATA[test]]></Content>" in xml
    assert "<FromUserName><![CDATA[messense]]></FromUserName>" in xml


def test_it_round_trips_encrypt_and_decrypt() -> None:
    crypto = oa_crypto()
    reply = "<xml><Content><![CDATA[您好，工单 #42 已受理]]></Content></xml>"
    envelope = crypto.encrypt(reply, nonce="nonce1", timestamp=int(OA_TIMESTAMP))
    encrypt = extract_encrypt(envelope)
    signature = msg_signature(OA_TOKEN, OA_TIMESTAMP, "nonce1", encrypt)
    assert f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>" in envelope
    assert f"<TimeStamp>{OA_TIMESTAMP}</TimeStamp>" in envelope
    decrypted = crypto.decrypt(
        encrypt, msg_signature=signature, timestamp=OA_TIMESTAMP, nonce="nonce1", now=OA_NOW
    )
    assert decrypted == reply


def test_it_draws_a_fresh_random_prefix_each_time() -> None:
    crypto = oa_crypto()
    first = crypto.encrypt("<xml/>", nonce="n", timestamp=OA_TIMESTAMP)
    second = crypto.encrypt("<xml/>", nonce="n", timestamp=OA_TIMESTAMP)
    assert first != second


def test_it_accepts_padding_longer_than_an_aes_block() -> None:
    # 16 random + 4 length + xml + 18-byte AppID; choose the xml length so the 32-byte pad is 20.
    overhead = 16 + 4 + len(OA_APP_ID)
    xml_len = (32 - 20 - overhead) % 32 + 32  # +32 leaves room for "<xml></xml>"
    xml = b"<xml>" + b"a" * (xml_len - len(b"<xml></xml>")) + b"</xml>"
    assert len(xml) == xml_len
    plain = framed(xml)
    pad = 32 - len(plain) % 32
    assert pad == 20
    padded = plain + bytes([pad]) * pad

    sixteen = padding.PKCS7(128).unpadder()
    sixteen.update(padded)
    with pytest.raises(ValueError, match="padding"):
        sixteen.finalize()

    assert pkcs7_unpad(padded) == plain
    assert signed_decrypt(oa_crypto(), raw_seal(padded)) == xml.decode()


def test_it_pads_every_length_to_a_32_byte_block() -> None:
    crypto = oa_crypto()
    for extra in range(40):
        xml = "<xml>" + "字" * extra + "</xml>"
        envelope = crypto.encrypt(xml, nonce="n", timestamp=OA_TIMESTAMP)
        encrypt = extract_encrypt(envelope)
        assert len(base64.b64decode(encrypt)) % 32 == 0
        assert signed_decrypt(crypto, encrypt) == xml


def test_it_refuses_a_message_for_another_app_id() -> None:
    encrypt = oa_crypto(app_id="wx0000000000000000").encrypt("<xml/>", nonce="n", timestamp=OA_TIMESTAMP)
    with pytest.raises(WrongAppId):
        signed_decrypt(oa_crypto(), extract_encrypt(encrypt))


@pytest.mark.parametrize(
    "tail",
    [
        bytes([0]),  # pad value 0
        bytes([33]),  # larger than the 32-byte block
        bytes([7, 7, 7, 7, 7, 7, 3]),  # last byte says 3, the bytes before disagree
        bytes([5, 5, 5, 6]),  # says 4, one of the four differs
    ],
)
def test_it_refuses_corrupted_padding(tail: bytes) -> None:
    body = framed(b"<xml/>")
    # Fill to one byte short of the tail so the whole plaintext is block-aligned.
    filler = (-(len(body) + len(tail))) % 32
    plaintext = body + b"x" * filler + tail
    assert len(plaintext) % 32 == 0
    with pytest.raises(BadPadding):
        signed_decrypt(oa_crypto(), raw_seal(plaintext))


def test_it_refuses_a_length_running_past_the_plaintext() -> None:
    plain = b"R" * 16 + struct.pack(">I", 10_000) + b"<xml/>" + OA_APP_ID.encode()
    pad = 32 - len(plain) % 32
    with pytest.raises(MalformedMessage, match="length"):
        signed_decrypt(oa_crypto(), raw_seal(plain + bytes([pad]) * pad))


def test_it_decrypts_with_the_previous_key_during_rotation() -> None:
    old = oa_crypto(OA_KEY)
    encrypt = extract_encrypt(old.encrypt("<xml>old</xml>", nonce="n", timestamp=OA_TIMESTAMP))
    rotated = oa_crypto(OTHER_KEY, OA_KEY)
    assert signed_decrypt(rotated, encrypt) == "<xml>old</xml>"
    with pytest.raises((BadPadding, MalformedMessage, WrongAppId)):
        signed_decrypt(oa_crypto(OTHER_KEY), encrypt)


def test_it_encrypts_replies_with_the_current_key() -> None:
    rotated = oa_crypto(OTHER_KEY, OA_KEY)
    encrypt = extract_encrypt(rotated.encrypt("<xml>new</xml>", nonce="n", timestamp=OA_TIMESTAMP))
    assert signed_decrypt(oa_crypto(OTHER_KEY), encrypt) == "<xml>new</xml>"


def test_it_reports_the_wrong_app_id_even_when_an_older_key_is_tried_too() -> None:
    encrypt = extract_encrypt(
        oa_crypto(app_id="wx0000000000000000").encrypt("<xml/>", nonce="n", timestamp=OA_TIMESTAMP)
    )
    with pytest.raises(WrongAppId):
        signed_decrypt(oa_crypto(OA_KEY, OTHER_KEY), encrypt)


def test_it_checks_the_signature_before_decrypting() -> None:
    with pytest.raises(BadSignature):
        oa_crypto().decrypt(
            "not even base64!", msg_signature="0" * 40, timestamp=OA_TIMESTAMP, nonce=OA_NONCE, now=OA_NOW
        )


def test_it_refuses_a_signature_over_another_ciphertext() -> None:
    encrypt = extract_encrypt((DATA / "encrypted_envelope.xml").read_text(encoding="utf-8"))
    tampered = ("A" if encrypt[0] != "A" else "B") + encrypt[1:]
    with pytest.raises(BadSignature):
        oa_crypto().decrypt(
            tampered, msg_signature=OA_MSG_SIGNATURE, timestamp=OA_TIMESTAMP, nonce=OA_NONCE, now=OA_NOW
        )


def test_it_refuses_a_replayed_message() -> None:
    later = datetime(2024, 1, 1, tzinfo=UTC)
    encrypt = extract_encrypt((DATA / "encrypted_envelope.xml").read_text(encoding="utf-8"))
    with pytest.raises(StaleTimestamp):
        oa_crypto().decrypt(
            encrypt, msg_signature=OA_MSG_SIGNATURE, timestamp=OA_TIMESTAMP, nonce=OA_NONCE, now=later
        )


@pytest.mark.parametrize("encrypt", ["@@@@", base64.b64encode(b"x" * 17).decode(), ""])
def test_it_refuses_a_malformed_ciphertext(encrypt: str) -> None:
    with pytest.raises(MalformedMessage):
        signed_decrypt(oa_crypto(), encrypt)


@pytest.mark.parametrize("key", ["short", "!" * 43, OA_KEY + "A"])
def test_it_refuses_a_bad_encoding_aes_key(key: str) -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WeChatCrypto(OA_TOKEN, [key], OA_APP_ID)


def test_it_refuses_a_single_key_passed_as_a_string() -> None:
    with pytest.raises(TypeError):
        WeChatCrypto(OA_TOKEN, OA_KEY, OA_APP_ID)
