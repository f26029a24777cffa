"""`servicedesk eval`: every figure of the assistant in one table (issue 4, item 7).

Each part is optional so the command runs where the shared data sets are missing (only the
self-service part needs nothing but the package). Importing a part's module is deferred: the
intent and sentiment evaluations pull in scikit-learn training on tens of thousands of rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from servicedesk.nlp.figures import Figure

PARTS = ("intent", "sentiment", "retrieval", "selfservice")
DEFAULT_DATA = Path("../shared/data")


def _intent(data: Path) -> list[Figure]:
    from servicedesk.nlp.evaluate import intent_figures

    return intent_figures(data)


def _sentiment(data: Path) -> list[Figure]:
    from servicedesk.nlp.evaluate import sentiment_figures

    return sentiment_figures(data)


def _retrieval(data: Path) -> list[Figure]:
    from servicedesk.nlp.retrieval_eval import retrieval_figures

    return retrieval_figures(data)


def _selfservice(_data: Path) -> list[Figure]:
    from servicedesk.evaluation.selfservice import figures, play

    return figures(*asyncio.run(play()))


RUNNERS: dict[str, Callable[[Path], list[Figure]]] = {
    "intent": _intent,
    "sentiment": _sentiment,
    "retrieval": _retrieval,
    "selfservice": _selfservice,
}


def evaluate(data: Path, parts: Sequence[str], report: Callable[[str], None]) -> list[Figure]:
    figures: list[Figure] = []
    for part in parts:
        needs_data = part != "selfservice"
        if needs_data and not data.is_dir():
            report(f"{part}: skipped, no data directory {data}")
            continue
        report(f"{part}: running…")
        figures.extend(RUNNERS[part](data))
    return figures


def _value(figure: Figure) -> str:
    if figure.task == "speed" or figure.value > 1.5:
        return f"{figure.value:.1f}"
    return f"{figure.value * 100:.1f} %"


def _target(figure: Figure) -> str:
    if figure.target is None:
        return ""
    shown = (
        f"{figure.target:.1f}"
        if figure.task == "speed" or figure.target > 1.5
        else f"{figure.target * 100:.0f} %"
    )
    sign = "≥" if figure.higher_is_better else "≤"
    return f"{sign} {shown}"


def rows(figures: Sequence[Figure]) -> list[tuple[str, str, str, str, str, str, str]]:
    met = {True: "met", False: "missed", None: ""}
    return [(f.task, f.dataset, f.metric, _value(f), _target(f), met[f.met], f.note) for f in figures]


def markdown(figures: Sequence[Figure]) -> str:
    lines = ["| task | data | metric | value | target | | note |", "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows(figures)]
    return "\n".join(lines)
