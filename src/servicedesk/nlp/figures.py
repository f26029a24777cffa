"""One measured figure of `servicedesk eval`, whichever model or data set produced it.

Every evaluation (intent, out-of-scope, retrieval, sentiment, self-service) returns a list of
these so the command prints one table and docs/benchmarks.md gets one section, with the target
beside each figure so a miss is visible rather than buried.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    task: str  # "intent", "out-of-scope", "retrieval", "sentiment", "self-service", "speed"
    dataset: str  # "banking77 test", "clinc150 test", "demo intents"…
    metric: str  # "accuracy", "macro-F1", "recall", "hit@1", "MRR", "seconds"…
    value: float
    target: float | None = None  # the figure; None where it sets none
    higher_is_better: bool = True
    note: str = ""  # what the model was trained on, sample sizes: what a reader needs to trust it

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target
