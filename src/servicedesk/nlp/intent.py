"""Recognising which admin-defined intent a customer message expresses, or that it expresses none.

Features are TF-IDF of words (jieba words and word bigrams, plus CJK character bigrams so a
segmenter's split does not hide a match) and TF-IDF of character 2–5-grams inside words (spelling
variants, typos, Chinese without segmentation), optionally followed by a frozen sentence embedding
(see embeddings.py) that carries paraphrases no shared n-gram reveals. One linear SVM over all of
them: on BANKING77 and CLINC150 it beat logistic regression, SGD, an RBF SVM on the embedding and
score-level ensembles of separate models (docs/benchmarks.md has the figures).

Confidence is the SVM's scores through a softmax whose temperature is fitted on examples held out
of training, so 0.8 means roughly "right four times in five". A message gets no intent (None) when
that confidence is under `threshold`, when its nearest training example shares almost nothing with
it (`min_similarity`: garbage, another language, another topic), or when it falls in the
optional out-of-scope class trained from examples of what the bot must not answer.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.svm import LinearSVC

from servicedesk.nlp.embeddings import Encoder, load_encoder
from servicedesk.nlp.segment import char_ngrams, normalize, words

FORMAT = "servicedesk-intent-1"
_CONTENT = re.compile(r"[^\W_]")  # a letter, digit or CJK character: something to classify
EMBEDDING_WEIGHT = 2.0  # embedding block's norm beside the two unit-norm TF-IDF blocks (picked on validation)
DEFAULT_C = 1.0
HOLDOUT_ABOVE = 3000  # larger sets calibrate on one 20 % hold-out; smaller ones by 5-fold cross-validation
THRESHOLD_QUANTILE = 0.1  # default threshold keeps 90 % of the held-out answers that were right …
THRESHOLD_BOUNDS = (0.2, 0.6)  # … within these bounds, so a tiny set cannot end at 0.02 or 0.95
SIMILARITY_QUANTILE = 0.01  # min_similarity: below all but 1 % of held-out in-scope messages …
SIMILARITY_BOUNDS = (0.04, 0.15)  # … within these bounds


def analyze_words(text: str) -> list[str]:
    """Words, adjacent-word bigrams and "#"-marked CJK character bigrams."""
    toks = words(text)
    return toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)] + ["#" + g for g in char_ngrams(text)]


def _new_word_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=analyze_words, sublinear_tf=True, vocabulary=vocabulary, dtype=np.float32)


def _new_char_vectorizer(min_df: int = 1, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        preprocessor=normalize,
        sublinear_tf=True,
        min_df=min_df,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


class _Features:
    """The text → vector half of the model, fitted per training (and per calibration fold)."""

    def __init__(self, encoder: Encoder | None) -> None:
        self.encoder = encoder
        self.word = _new_word_vectorizer()
        self.char = _new_char_vectorizer()

    def fit(self, texts: Sequence[str]) -> _Features:
        # a character n-gram seen once in a large set is mostly noise; in a 100-example set it may be
        # the only clue an intent has
        self.char = _new_char_vectorizer(min_df=2 if len(texts) >= 1000 else 1)
        self.word.fit(texts)
        self.char.fit(texts)
        return self

    def lexical(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Word and character blocks, each unit-norm (zero for text with no known n-gram)."""
        return sparse.hstack([self.word.transform(texts), self.char.transform(texts)], format="csr")

    def full(self, lexical: sparse.csr_matrix, embedded: np.ndarray | None) -> sparse.csr_matrix:
        if embedded is None:
            return lexical
        return sparse.hstack([lexical, sparse.csr_matrix(embedded * EMBEDDING_WEIGHT)], format="csr")

    def embed(self, texts: Sequence[str]) -> np.ndarray | None:
        return None if self.encoder is None else self.encoder.encode(texts)


@dataclass(frozen=True)
class IntentPrediction:
    intent: str | None  # None: no intent matched (out of scope)
    confidence: float  # calibrated probability of the best intent
    ranked: list[tuple[str, float]]  # the best few intents with their probabilities, best first
    similarity: float = 0.0  # lexical cosine to the nearest training example
    reason: str = "matched"  # matched | empty | low-confidence | unfamiliar | out-of-scope


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature that minimises held-out log-loss (temperature scaling)."""

    def nll(log_t: float) -> float:
        p = _softmax(scores, float(np.exp(log_t)))[np.arange(len(truth)), truth]
        return float(-np.log(np.clip(p, 1e-12, None)).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(np.log(0.1), np.log(200.0)), method="bounded").x))


def _nearest_similarity(rows: sparse.csr_matrix, train_t: sparse.csr_matrix) -> np.ndarray:
    """Cosine to the nearest training example; `train_t` is the training matrix transposed, in CSR
    so the product only touches the rows of n-grams the message has (not all 10,000 examples)."""
    if train_t.shape[1] == 0:
        return np.zeros(rows.shape[0], dtype=np.float32)
    # both blocks are unit-norm, so a full match is 2
    return np.asarray((rows @ train_t).max(axis=1).toarray()).ravel() / 2.0


class IntentModel:
    """A trained intent classifier; build with `train`, persist with `to_bytes`/`from_bytes`."""

    def __init__(
        self,
        *,
        features: _Features,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        train_lexical: sparse.csr_matrix,
        temperature: float,
        threshold: float,
        min_similarity: float,
        out_of_scope_label: str | None,
    ) -> None:
        self._features = features
        self.classes = classes
        # each kept once, in the layout prediction reads (the originals are rebuilt to save)
        self._coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)
        self._intercept = intercept.astype(np.float32)
        self._train_t = train_lexical.T.tocsr()
        self.temperature = temperature
        self.threshold = threshold
        self.min_similarity = min_similarity
        self.out_of_scope_label = out_of_scope_label

    # ---- training -------------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        examples: Sequence[tuple[str, str]],
        *,
        threshold: float | None = None,
        min_similarity: float | None = None,
        encoder: Encoder | str | None = None,
        out_of_scope_label: str | None = None,
        c: float = DEFAULT_C,
        seed: int = 0,
    ) -> IntentModel:
        """Fit on (intent, utterance) pairs.

        `threshold` and `min_similarity` default to values read off held-out predictions (see the
        module constants). `out_of_scope_label` names examples of what the bot should NOT answer;
        they form a class of their own whose predictions come out as None.
        """
        pairs = [(label, text) for label, text in examples if label and normalize(text)]
        labels = sorted({label for label, _ in pairs})
        if len(labels) < 2:
            raise ValueError("an intent model needs examples of at least two intents")
        enc = load_encoder(encoder) if isinstance(encoder, str) else encoder
        texts = [text for _, text in pairs]
        y = np.array([labels.index(label) for label, _ in pairs])
        embedded = None if enc is None else enc.encode(texts)

        held_scores, held_truth, held_sim = cls._held_out(texts, y, embedded, enc, c, seed)
        temperature = _fit_temperature(held_scores, held_truth) if len(held_truth) else 5.0

        features = _Features(enc).fit(texts)
        lexical = features.lexical(texts)
        coef, intercept = _weights(_fit_svm(features.full(lexical, embedded), y, c, seed))
        model = cls(
            features=features,
            classes=labels,
            coef=coef,
            intercept=intercept,
            train_lexical=lexical,
            temperature=temperature,
            threshold=0.0,
            min_similarity=0.0,
            out_of_scope_label=out_of_scope_label,
        )
        model.threshold, model.min_similarity = model._defaults(held_scores, held_truth, held_sim)
        if threshold is not None:
            model.threshold = threshold
        if min_similarity is not None:
            model.min_similarity = min_similarity
        return model

    @staticmethod
    def _held_out(
        texts: list[str], y: np.ndarray, embedded: np.ndarray | None, enc: Encoder | None, c: float, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scores of examples the SVM did not see, to calibrate on: one hold-out for large sets,
        k-fold for small ones; nothing when some intent has a single example."""
        smallest = int(np.bincount(y).min())
        if smallest < 2:
            return np.zeros((0, int(y.max()) + 1)), np.zeros(0, dtype=int), np.zeros(0)
        index = np.arange(len(texts))
        if len(texts) > HOLDOUT_ABOVE:
            train_idx, test_idx = train_test_split(index, test_size=0.2, random_state=seed, stratify=y)
            splits = [(train_idx, test_idx)]
        else:
            folds = StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=seed)
            splits = list(folds.split(index, y))
        scores = np.zeros((len(texts), int(y.max()) + 1), dtype=np.float32)
        sims = np.zeros(len(texts), dtype=np.float32)
        seen = np.zeros(len(texts), dtype=bool)
        for train_idx, test_idx in splits:
            feats = _Features(enc).fit([texts[i] for i in train_idx])
            lex_train = feats.lexical([texts[i] for i in train_idx])
            lex_test = feats.lexical([texts[i] for i in test_idx])
            emb_train = None if embedded is None else embedded[train_idx]
            emb_test = None if embedded is None else embedded[test_idx]
            svm = _fit_svm(feats.full(lex_train, emb_train), y[train_idx], c, seed)
            fold_scores = np.full((len(test_idx), scores.shape[1]), -10.0, dtype=np.float32)
            fold_scores[:, svm.classes_] = _decision(svm, feats.full(lex_test, emb_test))
            scores[test_idx] = fold_scores
            sims[test_idx] = _nearest_similarity(lex_test, lex_train.T.tocsr())
            seen[test_idx] = True
        return scores[seen], y[seen], sims[seen]

    def _defaults(
        self, held_scores: np.ndarray, held_truth: np.ndarray, held_sim: np.ndarray
    ) -> tuple[float, float]:
        if not len(held_truth):
            return 0.35, 0.08
        probs = _softmax(held_scores, self.temperature)
        best = probs.argmax(axis=1)
        in_scope = np.ones(len(held_truth), dtype=bool)
        if self.out_of_scope_label in self.classes:
            in_scope = held_truth != self.classes.index(self.out_of_scope_label)
        right = (best == held_truth) & in_scope
        threshold = float(np.quantile(probs.max(axis=1)[right], THRESHOLD_QUANTILE)) if right.any() else 0.35
        similarity = float(np.quantile(held_sim[in_scope], SIMILARITY_QUANTILE)) if in_scope.any() else 0.08
        return float(np.clip(threshold, *THRESHOLD_BOUNDS)), float(np.clip(similarity, *SIMILARITY_BOUNDS))

    # ---- prediction -----------------------------------------------------------------------------

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated class probabilities (rows × classes) and nearest-example similarity."""
        lexical = self._features.lexical(texts)
        n_lexical = lexical.shape[1]
        scores = np.asarray(lexical @ self._coef_t[:n_lexical]) + self._intercept
        embedded = self._features.embed(texts)
        if embedded is not None:  # the same product as over the stacked features, without stacking
            scores += (embedded * EMBEDDING_WEIGHT) @ self._coef_t[n_lexical:]
        return _softmax(scores, self.temperature), _nearest_similarity(lexical, self._train_t)

    def predict(self, text: str, *, top: int = 5) -> IntentPrediction:
        return self.predict_many([text], top=top)[0]

    def predict_many(self, texts: Sequence[str], *, top: int = 5) -> list[IntentPrediction]:
        texts = list(texts)
        out: list[IntentPrediction | None] = [None] * len(texts)
        live = [i for i, t in enumerate(texts) if _CONTENT.search(normalize(t))]
        for i in set(range(len(texts))) - set(live):
            out[i] = IntentPrediction(None, 0.0, [], 0.0, "empty")
        if live:
            probs, sims = self.probabilities([texts[i] for i in live])
            oos = self._oos_index()
            for row, i in enumerate(live):
                out[i] = self._decide(probs[row], float(sims[row]), oos, top)
        return [p for p in out if p is not None]

    def _oos_index(self) -> int:
        return self.classes.index(self.out_of_scope_label) if self.out_of_scope_label in self.classes else -1

    def _decide(self, probs: np.ndarray, sim: float, oos: int, top: int) -> IntentPrediction:
        order = [int(k) for k in np.argsort(-probs) if int(k) != oos][:top]
        ranked = [(self.classes[k], float(probs[k])) for k in order]
        best, confidence = ranked[0]
        if oos >= 0 and int(np.argmax(probs)) == oos:
            return IntentPrediction(None, confidence, ranked, sim, "out-of-scope")
        if sim < self.min_similarity:
            return IntentPrediction(None, confidence, ranked, sim, "unfamiliar")
        if confidence < self.threshold:
            return IntentPrediction(None, confidence, ranked, sim, "low-confidence")
        return IntentPrediction(best, confidence, ranked, sim)

    # ---- settings -------------------------------------------------------------------------------

    def with_threshold(self, threshold: float, min_similarity: float | None = None) -> IntentModel:
        clone = IntentModel.__new__(IntentModel)
        clone.__dict__.update(self.__dict__)
        clone.threshold = threshold
        if min_similarity is not None:
            clone.min_similarity = min_similarity
        return clone

    def tune_threshold(self, labelled: Sequence[tuple[str | None, str]], *, oos_weight: float = 0.5) -> float:
        """The threshold that maximises a weighted mean of in-scope accuracy and out-of-scope
        recall on a validation set (intent None or the out-of-scope label = should get no answer);
        for operators who collect real unanswerable questions."""
        truth = [None if label in (None, self.out_of_scope_label) else label for label, _ in labelled]
        probs, sims = self.probabilities([text for _, text in labelled])
        oos = self._oos_index()
        masked = probs.copy()
        if oos >= 0:
            masked[:, oos] = -1.0
        best = np.array(self.classes, dtype=object)[masked.argmax(axis=1)]
        conf = masked.max(axis=1)
        rejected_anyway = sims < self.min_similarity
        if oos >= 0:
            rejected_anyway |= probs.argmax(axis=1) == oos
        is_oos = np.array([t is None for t in truth])
        right = np.array([t is not None and b == t for t, b in zip(truth, best, strict=True)])
        candidates = np.unique(np.concatenate([[0.0], conf]))
        results = []
        for thr in candidates:
            answered = ~rejected_anyway & (conf >= thr)
            acc = (right & answered)[~is_oos].mean() if (~is_oos).any() else 1.0
            recall = (~answered)[is_oos].mean() if is_oos.any() else 1.0
            results.append(((1 - oos_weight) * acc + oos_weight * recall, -thr))
        return float(-max(results)[1])

    # ---- persistence ----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """A numpy archive (no pickled objects): vocabularies, weights, settings."""
        meta = {
            "format": FORMAT,
            "classes": self.classes,
            "temperature": self.temperature,
            "threshold": self.threshold,
            "min_similarity": self.min_similarity,
            "out_of_scope_label": self.out_of_scope_label,
            "encoder": None if self._features.encoder is None else self._features.encoder.name,
            "char_min_df": self._features.char.min_df,
        }
        tl = self._train_t.T.tocsr()
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=np.array(json.dumps(meta, ensure_ascii=False)),
            word_vocab=_terms(self._features.word),
            word_idf=self._features.word.idf_.astype(np.float32),
            char_vocab=_terms(self._features.char),
            char_idf=self._features.char.idf_.astype(np.float32),
            coef=np.ascontiguousarray(self._coef_t.T),
            intercept=self._intercept,
            train_data=tl.data.astype(np.float32),
            train_indices=tl.indices.astype(np.int32),
            train_indptr=tl.indptr.astype(np.int64),
            train_shape=np.array(tl.shape, dtype=np.int64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> IntentModel:
        try:
            archive = np.load(io.BytesIO(blob), allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a {FORMAT} model: {exc}") from exc
        with archive as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} model (format {meta.get('format')!r})")
            features = _Features(load_encoder(meta["encoder"]))
            features.word = _new_word_vectorizer(vocabulary=_vocabulary(z["word_vocab"]))
            features.word.idf_ = z["word_idf"]
            features.char = _new_char_vectorizer(meta["char_min_df"], vocabulary=_vocabulary(z["char_vocab"]))
            features.char.idf_ = z["char_idf"]
            shape = tuple(int(n) for n in z["train_shape"])
            train = sparse.csr_matrix((z["train_data"], z["train_indices"], z["train_indptr"]), shape=shape)
            return cls(
                features=features,
                classes=list(meta["classes"]),
                coef=z["coef"],
                intercept=z["intercept"],
                train_lexical=train,
                temperature=float(meta["temperature"]),
                threshold=float(meta["threshold"]),
                min_similarity=float(meta["min_similarity"]),
                out_of_scope_label=meta["out_of_scope_label"],
            )

    def describe(self) -> dict[str, object]:
        """What an admin screen shows about the model."""
        return {
            "intents": len(self.classes),
            "threshold": round(self.threshold, 3),
            "min_similarity": round(self.min_similarity, 3),
            "temperature": round(self.temperature, 2),
            "encoder": None if self._features.encoder is None else self._features.encoder.name,
            "examples": self._train_t.shape[1],
        }


def _fit_svm(x: sparse.csr_matrix, y: np.ndarray, c: float, seed: int) -> LinearSVC:
    return LinearSVC(C=c, random_state=seed).fit(x, y)


def _weights(svm: LinearSVC) -> tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # two classes: one hyperplane, positive for the second class
        return np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return coef, intercept


def _decision(svm: LinearSVC, x: sparse.csr_matrix) -> np.ndarray:
    scores = np.asarray(svm.decision_function(x), dtype=np.float32)
    if scores.ndim == 1:  # two classes: sklearn gives one column, the second class's score
        scores = np.stack([-scores, scores], axis=1)
    return scores


def _terms(vectorizer: TfidfVectorizer) -> np.ndarray:
    vocab: dict[str, int] = vectorizer.vocabulary_
    terms = [""] * len(vocab)
    for term, index in vocab.items():
        terms[index] = term
    return np.array(terms, dtype=str)


def _vocabulary(terms: np.ndarray) -> dict[str, int]:
    return {str(term): index for index, term in enumerate(terms.tolist())}


def class_counts(examples: Sequence[tuple[str, str]]) -> Counter[str]:
    """Examples per intent, for the admin screen's "add more examples" hint."""
    return Counter(label for label, _ in examples)
