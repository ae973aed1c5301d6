"""The optional dense sentence encoder (DESIGN.md, "Understanding without a cloud").

The default assistant is lexical and needs nothing here. A deployment that
installs the `encoder` extra (`pip install 'ponton[encoder]'`, which brings
sentence-transformers and torch) and sets PONTON_ENCODER to a model folder on
disk (or a model name it has downloaded once) gets sentence embeddings added
to the lexical features of the same linear model. Nothing imports torch
unless PONTON_ENCODER is set.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from ponton.env import envstr

CACHE_SIZE = 200_000  # embeddings kept per encoder, so a retrain re-encodes only new texts


class Encoder(Protocol):
    """Turns texts into unit-length vectors of one fixed size."""

    @property
    def name(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceEncoder:
    """A sentence-transformers model loaded from a local path, on the CPU."""

    def __init__(self, path: str, *, batch_size: int = 64) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ImproperlyConfigured(
                "PONTON_ENCODER is set but sentence-transformers is not installed: "
                "pip install 'ponton[encoder]'"
            ) from None
        self._model: Any = SentenceTransformer(path, device="cpu")
        self._path = path
        self._batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._path

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                vectors = self._model.encode(
                    missing,
                    batch_size=self._batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                for t, v in zip(missing, vectors, strict=True):
                    self._cache[t] = np.asarray(v, dtype=np.float32)
            rows = []
            for t in texts:
                self._cache.move_to_end(t)
                rows.append(self._cache[t])
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return np.vstack(rows)


_loaded: dict[str, SentenceEncoder] = {}
_override: list[str] = []
_load_lock = threading.Lock()


def load_encoder(path: str) -> SentenceEncoder:
    """The encoder at `path`, loaded once per process."""
    with _load_lock:
        if path not in _loaded:
            _loaded[path] = SentenceEncoder(path)
        return _loaded[path]


@contextmanager
def using_encoder(path: str) -> Iterator[None]:
    """Use the encoder at `path` instead of PONTON_ENCODER inside the block
    (`ponton bench-intents --encoder PATH`)."""
    _override.append(path)
    try:
        yield
    finally:
        _override.pop()


def configured_encoder() -> Encoder | None:
    """The encoder the deployment asked for, or None for the lexical default."""
    path = _override[-1] if _override else envstr("PONTON_ENCODER")
    return load_encoder(path) if path else None
