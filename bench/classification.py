"""`python -m bench.classification`: the suggested type, priority and business tags of a new case
(R-CL-1, R-CL-2) on the held-out test split of the project's labelled cases
(src/servicedesk/nlp/data/cases.jsonl), beside the word-list classifier it replaced, with
training time and per-message latency; into docs/benchmarks.md (its classification section).

The shipped model is trained on the train and validation rows, as in production; every figure
is on test rows, which nothing was chosen on. Cases are scored as a regular customer's on a
private channel (web form), so tier and channel rules stay out of the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from bench.classification_baseline import old_suggest
from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.classification import DEFAULT_LEXICON, suggest
from servicedesk.domain.labels import label
from servicedesk.domain.strong_signals import signals_in
from servicedesk.nlp.cases import CaseModel, LabelledCase, shipped_cases
from servicedesk.nlp.segment import warm_up

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- classification:start -->", "<!-- classification:end -->"
TYPES = list(TicketType)
PRIORITIES = [Priority.HIGH, Priority.MEDIUM, Priority.LOW]
TAGS = list(DEFAULT_LEXICON.tags)


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    per_class: dict[str, tuple[float, float, float, int]]  # label → precision, recall, F1, support


def score(truth: Sequence[str], guess: Sequence[str], labels: Sequence[str]) -> Scores:
    p, r, f, n = precision_recall_fscore_support(truth, guess, labels=list(labels), zero_division=0)
    per = {lab: (float(p[i]), float(r[i]), float(f[i]), int(n[i])) for i, lab in enumerate(labels)}
    macro = float(f1_score(truth, guess, labels=list(labels), average="macro", zero_division=0))
    return Scores(float(accuracy_score(truth, guess)), macro, per)


@dataclass
class Result:
    cases: list[LabelledCase]
    counts: Counter[str]
    type_new: Scores
    type_old: Scores
    priority_model: Scores
    priority_new: Scores
    priority_old: Scores
    tags_new: dict[str, tuple[float, float, int]]  # tag (or "all") → precision, recall, support
    tags_old: dict[str, tuple[float, float, int]]
    by_lang: dict[str, tuple[int, float, float, float, float]]  # lang → n, type new/old, priority new/old
    confusion: list[list[int]]
    rules_fired: int
    rules_right: int
    rules_rescued: int  # high cases the model alone had not called high
    jieba_s: float
    train_s: float
    predict_p50_ms: float
    predict_p99_ms: float


def _tag_scores(truth: list[set[str]], guess: list[set[str]]) -> dict[str, tuple[float, float, int]]:
    out = {}
    for tag in [*TAGS, "all"]:
        tp = fp = fn = 0
        for want, got in zip(truth, guess, strict=True):
            w = want if tag == "all" else want & {tag}
            g = got if tag == "all" else got & {tag}
            tp, fp, fn = tp + len(w & g), fp + len(g - w), fn + len(w - g)
        out[tag] = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, tp + fn)
    return out


def run() -> Result:
    started = time.perf_counter()
    warm_up()
    jieba_s = time.perf_counter() - started
    started = time.perf_counter()
    model = CaseModel.train(shipped_cases("train", "validation"))  # what default_model() trains
    train_s = time.perf_counter() - started
    test = shipped_cases("test")

    latencies, suggestions, guesses = [], [], []
    for case in test:
        t0 = time.perf_counter()
        guess = model.guess(case.text)
        found = suggest(case.text, tier=CustomerTier.REGULAR, channel=Channel.WEB_FORM, guess=guess)
        latencies.append((time.perf_counter() - t0) * 1000)
        guesses.append(guess)
        suggestions.append(found)
    old = [old_suggest(case.text) for case in test]

    types, prios = [t.value for t in TYPES], [p.value for p in PRIORITIES]
    truth_t = [c.type.value for c in test]
    truth_p = [c.priority.value for c in test]
    new_t = [s.type.value for s in suggestions]
    new_p = [s.priority.value for s in suggestions]
    old_t, old_p = [t.value for t, _, _ in old], [p.value for _, p, _ in old]
    by_lang = {}
    for lang in ("zh", "en", "mixed"):
        idx = [i for i, c in enumerate(test) if c.lang == lang]
        if idx:

            def acc(truth: list[str], guess: list[str], idx: list[int] = idx) -> float:
                return sum(truth[i] == guess[i] for i in idx) / len(idx)

            by_lang[lang] = (
                len(idx),
                acc(truth_t, new_t),
                acc(truth_t, old_t),
                acc(truth_p, new_p),
                acc(truth_p, old_p),
            )
    fired = [i for i, c in enumerate(test) if signals_in(c.text)]
    cut = statistics.quantiles(latencies, n=100, method="inclusive")
    return Result(
        cases=test,
        counts=Counter(c.split for c in shipped_cases()),
        type_new=score(truth_t, new_t, types),
        type_old=score(truth_t, old_t, types),
        priority_model=score(truth_p, [g.priority.value for g in guesses], prios),
        priority_new=score(truth_p, new_p, prios),
        priority_old=score(truth_p, old_p, prios),
        tags_new=_tag_scores([set(c.tags) for c in test], [set(s.tags) for s in suggestions]),
        tags_old=_tag_scores([set(c.tags) for c in test], [set(tags) for _, _, tags in old]),
        by_lang=by_lang,
        confusion=confusion_matrix(truth_t, new_t, labels=types).tolist(),
        rules_fired=len(fired),
        rules_right=sum(test[i].priority is Priority.HIGH for i in fired),
        rules_rescued=sum(
            test[i].priority is Priority.HIGH and guesses[i].priority is not Priority.HIGH for i in fired
        ),
        jieba_s=jieba_s,
        train_s=train_s,
        predict_p50_ms=cut[49],
        predict_p99_ms=cut[98],
    )


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def print_table(r: Result, console: Console) -> None:
    table = Table(title=f"Classification on the test split ({len(r.cases)} cases), bench.classification")
    for column in ("field", "metric", "trained model + rules", "old word lists"):
        table.add_column(column, justify="left" if column in ("field", "metric") else "right")
    table.add_row("type", "accuracy", _pct(r.type_new.accuracy), _pct(r.type_old.accuracy))
    table.add_row("type", "macro-F1", _pct(r.type_new.macro_f1), _pct(r.type_old.macro_f1))
    table.add_row("priority", "accuracy", _pct(r.priority_new.accuracy), _pct(r.priority_old.accuracy))
    table.add_row("priority", "macro-F1", _pct(r.priority_new.macro_f1), _pct(r.priority_old.macro_f1))
    table.add_row("tags", "micro P / R", "{:.1%} / {:.1%}".format(*r.tags_new["all"][:2]),
                  "{:.1%} / {:.1%}".format(*r.tags_old["all"][:2]))  # fmt: skip
    console.print(table)
    console.print(
        f"training {r.train_s:.2f} s (+ jieba dictionary {r.jieba_s:.2f} s); "
        f"per message p50 {r.predict_p50_ms:.1f} ms, p99 {r.predict_p99_ms:.1f} ms"
    )


def _per_class_rows(new: Scores, old: Scores, labels: Sequence[TicketType | Priority]) -> list[str]:
    rows = [
        "| class | test cases | precision | recall | F1 | old precision | old recall | old F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lab in labels:
        p, rc, f, n = new.per_class[lab.value]
        op, orc, of, _ = old.per_class[lab.value]
        rows.append(
            f"| {label(lab)} {lab.value} | {n} | {_pct(p)} | {_pct(rc)} | {_pct(f)} | "
            f"{_pct(op)} | {_pct(orc)} | {_pct(of)} |"
        )
    return rows


def markdown(r: Result, started: datetime, load: float) -> str:
    n = len(r.cases)
    langs = Counter(c.lang for c in r.cases)
    lines = [
        BEGIN,
        "",
        "## Case classification: type, priority, tags (`python -m bench.classification`)",
        "",
        f"Run on {started:%Y-%m-%d %H:%M}, code at commit {code_version(ROOT)}.",
        "",
        f"**Machine:** {this_machine().describe()}. Load average when the run started: {load:.1f}.",
        "",
        f"**Data:** `src/servicedesk/nlp/data/cases.jsonl`, {sum(r.counts.values())} customer-service cases "
        f"written for the project (train {r.counts['train']}, validation {r.counts['validation']}, test "
        f"{r.counts['test']}; the split is recorded per row). The shipped model trains on train + "
        f"validation; every figure below is on the {n} test cases ({langs['zh']} Chinese, {langs['en']} "
        f"English, {langs['mixed']} mixed), scored as a regular customer on a private channel. *Old word "
        "lists* is the classifier this replaced (`bench/classification_baseline.py`).",
        "",
        "| field | metric | trained model + rules | old word lists |",
        "|---|---|---:|---:|",
        f"| type | accuracy | {_pct(r.type_new.accuracy)} | {_pct(r.type_old.accuracy)} |",
        f"| type | macro-F1 | {_pct(r.type_new.macro_f1)} | {_pct(r.type_old.macro_f1)} |",
        f"| priority | accuracy | {_pct(r.priority_new.accuracy)} | {_pct(r.priority_old.accuracy)} |",
        f"| priority | macro-F1 | {_pct(r.priority_new.macro_f1)} | {_pct(r.priority_old.macro_f1)} |",
        f"| priority, model alone (no rules) | accuracy / macro-F1 | {_pct(r.priority_model.accuracy)} / "
        f"{_pct(r.priority_model.macro_f1)} | – |",
        "| business tags (word lists both) | micro precision / recall | "
        + "{} / {}".format(*(_pct(x) for x in r.tags_new["all"][:2]))
        + " | "
        + "{} / {}".format(*(_pct(x) for x in r.tags_old["all"][:2]))
        + " |",
        "",
        f"**Strong-signal rules on test:** fired on {r.rules_fired} cases, {r.rules_right} of them labelled "
        f"high ({_pct(r.rules_right / r.rules_fired) if r.rules_fired else '–'} precision); "
        f"{r.rules_rescued} were high cases the model alone had not called high.",
        "",
        f"**Speed:** training {r.train_s:.2f} s (after jieba's dictionary, {r.jieba_s:.2f} s, which the "
        f"intent model loads anyway); one message through model and rules p50 {r.predict_p50_ms:.1f} ms, "
        f"p99 {r.predict_p99_ms:.1f} ms.",
        "",
        "**Type, per class:**",
        "",
        *_per_class_rows(r.type_new, r.type_old, TYPES),
        "",
        "**Priority, per class:**",
        "",
        *_per_class_rows(r.priority_new, r.priority_old, PRIORITIES),
        "",
        "**Type confusion (rows: label, columns: suggested; trained model):**",
        "",
        "| | " + " | ".join(t.value for t in TYPES) + " |",
        "|---|" + "---:|" * len(TYPES),
        *(
            f"| {t.value} | " + " | ".join(str(v) for v in row) + " |"
            for t, row in zip(TYPES, r.confusion, strict=True)
        ),
        "",
        "**By language** (test cases; type and priority accuracy, new / old):",
        "",
        "| language | cases | type | priority |",
        "|---|---:|---:|---:|",
        *(
            f"| {lang} | {k} | {_pct(tn)} / {_pct(to)} | {_pct(pn)} / {_pct(po)} |"
            for lang, (k, tn, to, pn, po) in r.by_lang.items()
        ),
        "",
        "**Business tags, per tag** (precision / recall, new word lists / old):",
        "",
        "| tag | test cases | new | old |",
        "|---|---:|---:|---:|",
        *(
            f"| {tag} | {r.tags_new[tag][2]} | {_pct(r.tags_new[tag][0])} / {_pct(r.tags_new[tag][1])} | "
            f"{_pct(r.tags_old[tag][0])} / {_pct(r.tags_old[tag][1])} |"
            for tag in TAGS
        ),
        "",
        *NOTES,
        "",
        END,
        "",
    ]
    return "\n".join(lines)


NOTES = [
    "**How it was chosen (validation only).** On the 134 validation cases, with the model trained on "
    "the 409 train cases: TF-IDF of jieba words + word bigrams + CJK character bigrams beside TF-IDF of "
    "character 1–3-grams, with multinomial logistic regression (C 20), gave type accuracy 85.1 % / "
    "macro-F1 83.4 %; char 1–2, 1–4 and 2–4-grams, words alone, characters alone, C 1 and 5, LinearSVC "
    "(C 0.3, 1) and class weighting stayed within ±1.5 points (one validation case is 0.75 point), and "
    "logistic regression was kept for its probabilities, which the agent sees as confidence. Priority "
    "from the model alone was 78.4 %; with the strong-signal rules on top 83.6 %. The rules were written "
    "from the seed's definitions and checked on train + validation, where each fired only on cases "
    "labelled high (one false hit, 转告你们 read as 告你们, was fixed). After that round, 40 cases were "
    "added to the train split only (fault vocabulary such as 故障/硬件故障, plain complaints, "
    "how-to-return questions about a defect, which the first model read as high or as consultation); "
    "validation then read type 83.6 % and priority with rules 85.1 %. The test split was read once, "
    "for this table.",
    "",
    "**Limits.** The cases were written by one person for this project, so they are cleaner and more "
    "evenly spread than a real inbox, and the labels are one reading of the seed's definitions (a "
    "delivery delay is service quality, a how-to question consultation); expect lower figures on real "
    "traffic and re-label a sample of it before trusting them. Business tags are still word lists: the "
    "labels count a tag when a person would route on it, also when its word is absent (a rude agent is "
    "a complaint), which is where their recall is lost.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    console = Console()
    started, load = datetime.now().astimezone(), os.getloadavg()[0]
    result = run()
    print_table(result, console)
    if not args.no_docs:
        marked = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
        write_marked_section(args.docs, markdown(result, started, load), marked)
        console.print(f"wrote the classification section of {args.docs}")


if __name__ == "__main__":
    main()
