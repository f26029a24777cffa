"""A new case's problem type and priority as a model reads them from its text (R-CL-1, R-CL-2).

Trained on data/cases.jsonl: Chinese and English customer-service cases written for this
project, each labelled with its type, its priority by the seed's impact definitions and its
business tags, with a fixed train / validation / test split recorded per row. Features and the
regularisation were chosen on train against validation; the test split is read only by
`bench.classification` (docs/benchmarks.md).

Features are TF-IDF of jieba words, word bigrams and CJK character bigrams (as for intents) beside
TF-IDF of character 1–3-grams inside words, which carry typos ("登陆") and English. One
multinomial logistic regression per field gives probabilities the agent can read as confidence.
The words behind a guess are the jieba words that added most to its class's score (weight ×
TF-IDF value), so "why technical?" is answered by what the model actually weighed.

The shipped model is trained per process on first use (under a second beside jieba's dictionary
load) from the train and validation rows; nothing is downloaded or persisted.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from servicedesk.domain.catalog import Priority, TicketType
from servicedesk.domain.classification import ModelGuess
from servicedesk.nlp.intent import analyze_words
from servicedesk.nlp.segment import normalize

DATA_FILE = "cases.jsonl"
SPLITS = ("train", "validation", "test")
DEFAULT_C = 20.0  # chosen on validation among 1, 5, 20 (and LinearSVC 0.3, 1): best type macro-F1
WORDS_SHOWN = 3
_SHOWABLE = re.compile(r"^(?:[\u3400-\u9fff]{2,}|[a-z][a-z0-9'-]{2,})$")  # a word a person reads as one
# words that carry weight in the model but tell an agent nothing about why (shown, never used)
_STOP_WORDS = (
    "你们 我们 他们 一下 一直 现在 今天 什么 可以 不能 能不能 有点 一点 特别 这个 那个 怎么 一个 "
    "已经 还是 就是 收到 不了 我要 要求 没有 还有 然后 因为 所以 但是 而且 如果 时候 自己 一样 这样 那么 "
    "the and for you your this that with has have been was are from just not but its our"
)
_NOT_SHOWN = frozenset(_STOP_WORDS.split(" "))


@dataclass(frozen=True, slots=True)
class LabelledCase:
    id: int
    text: str
    type: TicketType
    priority: Priority
    tags: tuple[str, ...]
    split: str  # train | validation | test
    lang: str  # zh | en | mixed


def shipped_cases(*splits: str) -> list[LabelledCase]:
    """The project's labelled cases (package data), only those of `splits` when given."""
    wanted = set(splits or SPLITS)
    unknown = wanted - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split(s) {sorted(unknown)}; the splits are {', '.join(SPLITS)}")
    source = resources.files("servicedesk.nlp").joinpath("data", DATA_FILE)
    cases = []
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            cases.append(
                LabelledCase(
                    id=int(row["id"]),
                    text=str(row["text"]),
                    type=TicketType(row["type"]),
                    priority=Priority(row["priority"]),
                    tags=tuple(row["tags"]),
                    split=str(row["split"]),
                    lang=str(row["lang"]),
                )
            )
    return [case for case in cases if case.split in wanted]


class _Field:
    """One field's classifier: its classes, weights and the word features it may cite."""

    def __init__(self, x: sparse.csr_matrix, labels: Sequence[str], c: float) -> None:
        self.model = LogisticRegression(C=c, solver="newton-cg", max_iter=1000)
        self.model.fit(x, list(labels))
        self.classes = [str(k) for k in self.model.classes_]

    def read(
        self, x: sparse.csr_matrix, showable: np.ndarray, terms: np.ndarray
    ) -> list[tuple[str, float, tuple[str, ...]]]:
        probs = self.model.predict_proba(x)
        out = []
        for row, p in enumerate(probs):
            best = int(np.argmax(p))
            vector = x.getrow(row)
            cols, values = vector.indices, vector.data
            weight = self.model.coef_[best if len(self.classes) > 2 else 0, cols] * values
            if len(self.classes) == 2 and best == 0:
                weight = -weight
            ranked = [
                str(terms[c]) for c, w in sorted(zip(cols, weight, strict=True), key=lambda cw: -cw[1])
                if w > 0 and showable[c]
            ]  # fmt: skip
            out.append((self.classes[best], float(p[best]), tuple(ranked[:WORDS_SHOWN])))
        return out


class CaseModel:
    """Type and priority from text; build with `train`."""

    def __init__(self, word: TfidfVectorizer, char: TfidfVectorizer, type_: _Field, priority: _Field) -> None:
        self._word, self._char = word, char
        self._type, self._priority = type_, priority
        n_char = len(char.vocabulary_)
        word_terms = np.empty(len(word.vocabulary_), dtype=object)
        for term, index in word.vocabulary_.items():
            word_terms[index] = term
        self._terms = np.concatenate([word_terms, np.full(n_char, "", dtype=object)])
        self._showable = np.array(
            [bool(_SHOWABLE.match(str(t))) and str(t) not in _NOT_SHOWN for t in self._terms]
        )

    @classmethod
    def train(cls, cases: Sequence[LabelledCase], *, c: float = DEFAULT_C) -> CaseModel:
        kept = [case for case in cases if normalize(case.text)]
        if len({case.type for case in kept}) < 2 or len({case.priority for case in kept}) < 2:
            raise ValueError("a case model needs examples of at least two types and two priorities")
        texts = [case.text for case in kept]
        word = TfidfVectorizer(analyzer=analyze_words, sublinear_tf=True, dtype=np.float64)
        char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(1, 3),
            preprocessor=normalize,
            sublinear_tf=True,
            dtype=np.float64,
        )
        x = sparse.hstack([word.fit_transform(texts), char.fit_transform(texts)], format="csr")
        type_ = _Field(x, [case.type.value for case in kept], c)
        priority = _Field(x, [case.priority.value for case in kept], c)
        return cls(word, char, type_, priority)

    def _features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return sparse.hstack([self._word.transform(texts), self._char.transform(texts)], format="csr")

    def guess_many(self, texts: Sequence[str]) -> list[ModelGuess]:
        if not texts:
            return []
        x = self._features(list(texts))
        types = self._type.read(x, self._showable, self._terms)
        priorities = self._priority.read(x, self._showable, self._terms)
        return [
            ModelGuess(TicketType(t), t_conf, t_words, Priority(p), p_conf, p_words)
            for (t, t_conf, t_words), (p, p_conf, p_words) in zip(types, priorities, strict=True)
        ]

    def guess(self, text: str) -> ModelGuess:
        return self.guess_many([text])[0]


_default: CaseModel | None = None
_default_lock = threading.Lock()


def default_model() -> CaseModel:
    """The shipped model (train + validation rows), trained on first use and kept per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = CaseModel.train(shipped_cases("train", "validation"))
        return _default
