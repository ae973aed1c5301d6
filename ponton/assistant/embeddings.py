"""Embeddings of the knowledge base's texts, kept in the database.

Embedding the few hundred titles and example questions of a knowledge base takes
seconds on two cores: every app process would spend them before its first answer,
and again for each text after an edit. So the vectors an encoder computed are
stored (`Embedding`, float16, keyed by the encoder's name and the text's SHA-256)
and handed back to the encoder before it is asked for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ponton.assistant.encoders import E5Encoder, Encoder, remembers
from ponton.assistant.models import Embedding

BATCH = 500  # rows per query: under SQLite's limit of bound parameters


def digest(text: str) -> str:
    """The key a text's embedding is stored under: its SHA-256, hexadecimal."""
    return hashlib.sha256(text.encode()).hexdigest()


def pack(vector: np.ndarray) -> bytes:
    """A vector as stored: float16, little-endian."""
    return np.asarray(vector).astype("<f2").tobytes()


def unpack(blobs: Iterable[bytes | memoryview]) -> np.ndarray:
    """Stored vectors, one row each, as float32."""
    rows = [bytes(b) for b in blobs]
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.frombuffer(b"".join(rows), dtype="<f2").astype(np.float32).reshape(len(rows), -1)


def remember_shipped(encoder: Encoder | None, texts: Sequence[str], path: Path) -> None:
    """Give the default encoder the embeddings shipped beside a data file (`path`, an
    .e5.npy written by data/build_off_topic.py, one row per text in order), so a process
    does not compute them at its first message. Nothing when they do not match."""
    if not isinstance(encoder, E5Encoder) or not path.exists():
        return
    vectors = np.load(path)
    if vectors.shape[0] == len(texts):
        encoder.remember(texts, vectors)


def recall(encoder: Encoder | None, texts: Sequence[str]) -> set[str]:
    """Give the encoder the stored embeddings of these texts; returns the texts found."""
    if encoder is None or not remembers(encoder):
        return set()
    by_digest = {digest(t): t for t in dict.fromkeys(texts)}
    digests = list(by_digest)
    found: list[str] = []
    vectors: list[bytes] = []
    for start in range(0, len(digests), BATCH):
        rows = Embedding.objects.filter(
            encoder=encoder.name, digest__in=digests[start : start + BATCH]
        ).values_list("digest", "vector")
        for key, vector in rows:
            found.append(by_digest[key])
            vectors.append(vector)
    if found:
        encoder.remember(found, unpack(vectors))  # type: ignore[attr-defined]
    return set(found)


def keep(encoder: Encoder | None, texts: Sequence[str], *, known: set[str]) -> int:
    """Store the embeddings of the texts not `known` to be stored; returns how many."""
    if encoder is None or not remembers(encoder):
        return 0
    new = [t for t in dict.fromkeys(texts) if t not in known]
    if not new:
        return 0
    vectors = encoder.encode(new)
    Embedding.objects.bulk_create(
        [
            Embedding(encoder=encoder.name, digest=digest(t), vector=pack(v))
            for t, v in zip(new, vectors, strict=True)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,  # another process stored the same text first
    )
    return len(new)
