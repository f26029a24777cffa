"""Readers for the public evaluation sets (see the data folder's README for sources and licences).

Only `servicedesk eval` and the benchmarks read these; the product runs without them, which is why
the folder is always a parameter. ChnSentiCorp and waimai_10k have no open licence: they are read
to measure, never copied or used to train a shipped model.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from sklearn.model_selection import train_test_split

IntentPairs = list[tuple[str, str]]  # (intent, utterance), the order IntentModel.train takes
SentimentPairs = list[tuple[str, int]]  # (text, 1 positive / 0 negative)

OUT_OF_SCOPE = "oos"  # CLINC150's label for queries outside its 150 intents


T = TypeVar("T")


class DatasetMissing(FileNotFoundError):
    """The evaluation data is not where it was looked for."""


@dataclass(frozen=True)
class Split(Generic[T]):
    train: list[T]
    test: list[T]
    name: str


def _need(path: Path) -> Path:
    if not path.exists():
        raise DatasetMissing(
            f"{path} not found: point the evaluation at the shared data folder "
            "(the one whose README lists banking77/, clinc150/, chnsenticorp/, waimai_10k/)"
        )
    return path


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with _need(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def banking77(data_dir: Path) -> Split[tuple[str, str]]:
    base = _need(Path(data_dir) / "banking77")

    def read(name: str) -> IntentPairs:
        return [(row["category"], row["text"]) for row in _csv_rows(base / name)]

    return Split(read("train.csv"), read("test.csv"), "banking77")


@dataclass(frozen=True)
class Clinc150:
    """The "full" variant: in-scope and out-of-scope parts kept apart, as the paper reports them."""

    train: IntentPairs
    val: IntentPairs
    test: IntentPairs
    oos_train: IntentPairs
    oos_val: IntentPairs
    oos_test: IntentPairs


def clinc150(data_dir: Path) -> Clinc150:
    raw = json.loads(_need(Path(data_dir) / "clinc150" / "data_full.json").read_text(encoding="utf-8"))

    def part(key: str) -> IntentPairs:
        return [(str(label), str(text)) for text, label in raw[key]]

    return Clinc150(*(part(k) for k in ("train", "val", "test", "oos_train", "oos_val", "oos_test")))


def _labelled(rows: list[dict[str, str]], text_key: str) -> SentimentPairs:
    return [(row[text_key], int(row["label"])) for row in rows if row.get(text_key)]


def chnsenticorp(data_dir: Path) -> Split[tuple[str, int]]:
    """Train and test as published (the dev split is left for choosing settings)."""
    base = _need(Path(data_dir) / "chnsenticorp")

    def read(name: str) -> SentimentPairs:
        with _need(base / name).open(newline="", encoding="utf-8") as handle:
            return _labelled(list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)), "text_a")

    return Split(read("train.tsv"), read("test.tsv"), "chnsenticorp")


def chnsenticorp_dev(data_dir: Path) -> SentimentPairs:
    base = _need(Path(data_dir) / "chnsenticorp")
    with _need(base / "dev.tsv").open(newline="", encoding="utf-8") as handle:
        return _labelled(list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)), "text_a")


def waimai_10k(data_dir: Path, *, seed: int = 42, test_size: float = 0.2) -> Split[tuple[str, int]]:
    """It ships unsplit; the baseline in the README used a stratified 80/20 split with seed 42."""
    pairs = _labelled(_csv_rows(Path(data_dir) / "waimai_10k" / "waimai_10k.csv"), "review")
    train, test = train_test_split(
        pairs, test_size=test_size, random_state=seed, stratify=[label for _, label in pairs]
    )
    return Split(list(train), list(test), "waimai_10k")
