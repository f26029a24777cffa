"""Turning customer text into tokens, the same way for every model and index.

Chinese has no spaces, and a segmenter's mistakes are where matching fails ("退换货" vs
"退货"), so the features carry both jieba's words and character bigrams of each run of CJK
characters: the words give precision, the bigrams recall when the segmenter splits differently
from the article. Text is NFKC-folded first so full-width letters and digits from Chinese input
methods (ＡＢＣ１２３, ？) match their half-width forms.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

import jieba

# words a service desk needs kept whole; jieba's general dictionary splits them
SERVICE_WORDS = (
    "转人工", "人工客服", "退换货", "退款", "换货", "七天无理由", "发票", "物流", "快递单号",
    "订单号", "收货地址", "客服", "投诉", "售后", "保修", "运费险", "优惠券", "会员",
)  # fmt: skip

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(f"[{_CJK}]+|[a-z0-9]+(?:[._'-][a-z0-9]+)*")
_lock = threading.Lock()


def normalize(text: str) -> str:
    """NFKC, lower case, whitespace collapsed: the form every matcher sees."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    # one private tokenizer (not jieba's global one) so adding our words cannot change how a
    # caller elsewhere segments; initialised under a lock because jieba's lazy load is not
    # thread-safe and the web server segments from a thread pool
    with _lock:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in SERVICE_WORDS:
            tokenizer.add_word(word, freq=20000)
        return tokenizer


def words(text: str) -> list[str]:
    """jieba words and Latin/number words of normalized text, punctuation and spaces dropped."""
    out: list[str] = []
    for piece in _tokenizer().lcut(normalize(text)):
        out.extend(_WORD.findall(piece))
    return out


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Character n-grams inside each CJK run (a lone character stands for itself)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(normalize(text)):
        if len(run) < n:
            out.append(run)
        else:
            out.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return out


def tokens(text: str) -> list[str]:
    """Words plus CJK bigrams (bigrams prefixed so they never collide with a two-character word)."""
    return words(text) + ["#" + gram for gram in char_ngrams(text)]


def warm_up() -> None:
    """Load the dictionary now (about 0.5 s) rather than on the first customer message."""
    _tokenizer()
