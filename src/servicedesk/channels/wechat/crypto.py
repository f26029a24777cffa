"""Safe mode (安全模式): AES-256-CBC message encryption of the Official Account callback.

The AES key is ``base64decode(EncodingAESKey + "=")`` (43 characters → 32 bytes) and the IV is the
key's first 16 bytes. The plaintext is::

    16 random bytes | 4-byte big-endian length N | N bytes of XML | AppID | PKCS#7 padding

padded with PKCS#7 **to a 32-byte block**: the pad value runs from 1 to 32, so a generic 16-byte
(AES block size) unpadder rejects roughly half of the genuine messages.

Decryption verifies `msg_signature` before touching the ciphertext, so no padding or AppID error
is ever reported for a ciphertext an attacker could have chosen.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from collections.abc import Sequence
from datetime import datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from servicedesk.channels.wechat.errors import BadPadding, MalformedMessage, WeChatError, WrongAppId
from servicedesk.channels.wechat.signature import (
    DEFAULT_MAX_SKEW_S,
    check_msg_signature,
    msg_signature,
)
from servicedesk.channels.wechat.xml import cdata

BLOCK = 32  # WeChat's PKCS#7 block, not AES's 16
_RANDOM_LEN = 16
_HEADER_LEN = _RANDOM_LEN + 4


def aes_key(encoding_aes_key: str) -> bytes:
    """Turn the 43-character EncodingAESKey from the admin console into the 32-byte AES key."""
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


def pkcs7_pad(data: bytes, block: int = BLOCK) -> bytes:
    pad = block - len(data) % block  # 1..block, never 0
    return data + bytes([pad]) * pad


def pkcs7_unpad(data: bytes, block: int = BLOCK) -> bytes:
    """Strict: the pad value must be 1..block and every padding byte must carry it."""
    if not data:
        raise BadPadding("empty plaintext")
    pad = data[-1]
    if pad < 1 or pad > block or pad > len(data):
        raise BadPadding(f"padding value {pad} outside 1..{block}")
    if data[-pad:] != bytes([pad]) * pad:
        raise BadPadding("inconsistent padding bytes")
    return data[:-pad]


def _aes(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def seal(key: bytes, app_id: str, xml: str, random16: bytes) -> str:
    """Encrypt one message; returns the base64 `Encrypt` value."""
    if len(random16) != _RANDOM_LEN:
        raise ValueError("random16 must be 16 bytes")
    body = xml.encode("utf-8")
    plain = random16 + struct.pack(">I", len(body)) + body + app_id.encode("utf-8")
    encryptor = _aes(key).encryptor()
    cipher = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
    return base64.b64encode(cipher).decode("ascii")


def open_sealed(key: bytes, app_id: str, ciphertext: bytes) -> str:
    """Decrypt with one key; raises BadPadding, MalformedMessage or WrongAppId."""
    decryptor = _aes(key).decryptor()
    plain = pkcs7_unpad(decryptor.update(ciphertext) + decryptor.finalize())
    if len(plain) < _HEADER_LEN:
        raise MalformedMessage("plaintext shorter than its header")
    (length,) = struct.unpack(">I", plain[_RANDOM_LEN:_HEADER_LEN])
    end = _HEADER_LEN + length
    if end > len(plain):
        raise MalformedMessage("declared XML length runs past the plaintext")
    if plain[end:] != app_id.encode("utf-8"):
        raise WrongAppId("message was encrypted for another AppID")
    try:
        return plain[_HEADER_LEN:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedMessage("decrypted XML is not UTF-8") from exc


# How far a failed attempt got: with several keys, report the attempt that got furthest.
_RANK: dict[type[WeChatError], int] = {BadPadding: 0, MalformedMessage: 1, WrongAppId: 2}


class WeChatCrypto:
    """Safe-mode encryption for one official account.

    `encoding_aes_keys` lists the current key first, then any previous key still accepted while
    a rotation settles (WeChat may deliver messages sealed with the old key for a while). Replies
    are always sealed with the current key.
    """

    def __init__(
        self,
        token: str,
        encoding_aes_keys: Sequence[str],
        app_id: str,
        *,
        max_skew_s: int = DEFAULT_MAX_SKEW_S,
    ) -> None:
        if isinstance(encoding_aes_keys, str):
            raise TypeError("encoding_aes_keys is a sequence of keys, not one key")
        if not encoding_aes_keys:
            raise ValueError("at least one EncodingAESKey is required")
        if not token or not app_id:
            raise ValueError("token and app_id are required")
        self._token = token
        self._keys = tuple(aes_key(k) for k in encoding_aes_keys)
        self._app_id = app_id
        self._max_skew_s = max_skew_s

    def decrypt(
        self,
        encrypt_b64: str,
        *,
        msg_signature: str,
        timestamp: str,
        nonce: str,
        now: datetime,
    ) -> str:
        """Verify `msg_signature` and the timestamp, then decrypt; returns the inner XML."""
        check_msg_signature(
            self._token, msg_signature, timestamp, nonce, encrypt_b64, now=now, max_skew_s=self._max_skew_s
        )
        try:
            ciphertext = base64.b64decode(encrypt_b64, validate=True)
        except binascii.Error as exc:
            raise MalformedMessage("Encrypt is not base64") from exc
        if not ciphertext or len(ciphertext) % 16:
            raise MalformedMessage("ciphertext is not a whole number of AES blocks")
        best: WeChatError | None = None
        for key in self._keys:
            try:
                return open_sealed(key, self._app_id, ciphertext)
            except (BadPadding, MalformedMessage, WrongAppId) as exc:
                if best is None or _RANK[type(exc)] > _RANK[type(best)]:
                    best = exc
        assert best is not None
        raise best

    def encrypt(self, xml: str, *, nonce: str, timestamp: str | int, random16: bytes | None = None) -> str:
        """Seal a passive reply with the current key; returns the envelope XML to answer with.

        `random16` is for tests only: leave it None to draw from the OS CSPRNG.
        """
        stamp = str(timestamp)
        if not stamp.isascii() or not stamp.isdigit():
            raise ValueError("timestamp must be a unix time")
        encrypted = seal(self._keys[0], self._app_id, xml, os.urandom(16) if random16 is None else random16)
        signature = msg_signature(self._token, stamp, nonce, encrypted)
        return (
            "<xml>\n"
            f"<Encrypt>{cdata(encrypted)}</Encrypt>\n"
            f"<MsgSignature>{cdata(signature)}</MsgSignature>\n"
            f"<TimeStamp>{stamp}</TimeStamp>\n"
            f"<Nonce>{cdata(nonce)}</Nonce>\n"
            "</xml>"
        )
