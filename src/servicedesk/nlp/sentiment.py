"""Telling an unhappy customer from a satisfied one, for quality inspection and early warning.

Features are naive-Bayes-weighted binary n-grams (NB-SVM, Wang & Manning 2012): character 1–4-grams
and jieba words and word bigrams, each scaled by how much more often it occurs in negative than in
positive text, then a linear SVM with Platt-scaled probabilities. On both Chinese review sets
this beat plain TF-IDF by one to two points (docs/benchmarks.md). A frozen sentence embedding
can be appended, as for intents.

The model shipped by default is trained on data/sentiment_zh.tsv, sentences written for this
project (public review corpora have no open licence); label 1 is positive or neutral, 0 negative:
a neutral question is not a reason to warn a supervisor.
"""

from __future__ import annotations

import csv
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize as l2_rows
from sklearn.svm import LinearSVC

from servicedesk.nlp.embeddings import Encoder, load_encoder
from servicedesk.nlp.segment import normalize, words

EMBEDDING_WEIGHT = 0.5  # beside the unit-norm n-gram block; picked on ChnSentiCorp dev / a waimai split
DEFAULT_C = 0.5
SMOOTHING = 1.0  # the naive-Bayes ratio's add-one smoothing
DATA_FILE = "sentiment_zh.tsv"


def _word_features(text: str) -> list[str]:
    toks = words(text)
    return toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)]


@dataclass(frozen=True)
class Sentiment:
    label: int  # 1 positive or neutral, 0 negative
    negative: float  # probability that the text is negative
    score: float  # positive − negative, in [-1, 1]


class SentimentModel:
    def __init__(
        self,
        chars: CountVectorizer,
        word_vec: CountVectorizer,
        ratio: np.ndarray,
        classifier: CalibratedClassifierCV,
        encoder: Encoder | None,
    ) -> None:
        self._chars = chars
        self._words = word_vec
        self._ratio = ratio
        self._classifier = classifier
        self._encoder = encoder

    @classmethod
    def train(
        cls, pairs: Sequence[tuple[str, int]], *, encoder: Encoder | str | None = None, c: float = DEFAULT_C
    ) -> SentimentModel:
        """Fit on (text, label) pairs, label 1 positive/neutral and 0 negative."""
        kept = [(text, int(label)) for text, label in pairs if normalize(text)]
        y = np.array([label for _, label in kept])
        if set(y.tolist()) != {0, 1}:
            raise ValueError("sentiment training needs both positive (1) and negative (0) examples")
        texts = [text for text, _ in kept]
        chars = CountVectorizer(analyzer="char", ngram_range=(1, 4), binary=True, preprocessor=normalize)
        word_vec = CountVectorizer(analyzer=_word_features, binary=True)
        counts = sparse.hstack([chars.fit_transform(texts), word_vec.fit_transform(texts)], format="csr")
        pos = SMOOTHING + np.asarray(counts[y == 1].sum(axis=0)).ravel()
        neg = SMOOTHING + np.asarray(counts[y == 0].sum(axis=0)).ravel()
        ratio = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
        enc = load_encoder(encoder) if isinstance(encoder, str) else encoder
        model = cls(chars, word_vec, ratio, CalibratedClassifierCV(LinearSVC(C=c), cv=3, ensemble=False), enc)
        model._classifier.fit(model._features(texts, counts), y)
        return model

    def _features(self, texts: Sequence[str], counts: sparse.csr_matrix | None = None) -> sparse.csr_matrix:
        if counts is None:
            counts = sparse.hstack([self._chars.transform(texts), self._words.transform(texts)], format="csr")
        weighted = l2_rows(sparse.csr_matrix(counts.multiply(self._ratio)))
        if self._encoder is None:
            return weighted
        dense = sparse.csr_matrix(self._encoder.encode(texts) * EMBEDDING_WEIGHT)
        return sparse.hstack([weighted, dense], format="csr")

    def negative_probability(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        probs = self._classifier.predict_proba(self._features(texts))
        return np.asarray(probs[:, list(self._classifier.classes_).index(0)])

    def predict_many(self, texts: Sequence[str]) -> list[Sentiment]:
        negative = self.negative_probability(texts)
        return [Sentiment(int(p < 0.5), float(p), float(1 - 2 * p)) for p in negative]

    def predict(self, text: str) -> Sentiment:
        """Empty or symbol-only text comes out neutral (label 1) with whatever the model leans."""
        return self.predict_many([text])[0]


def shipped_pairs() -> list[tuple[str, int]]:
    """The project's own labelled sentences (package data, tab-separated label and text)."""
    source = resources.files("servicedesk.nlp").joinpath("data", DATA_FILE)
    with source.open(encoding="utf-8") as handle:
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        rows = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(text, int(label)) for label, text in rows]


_default: SentimentModel | None = None
_default_lock = threading.Lock()


def default_model() -> SentimentModel:
    """The shipped model, trained on first use (well under a second) and kept for the process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SentimentModel.train(shipped_pairs())
        return _default
