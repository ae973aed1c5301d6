"""Embeddings of the knowledge base's texts, kept in the database.

Embedding the few hundred titles and example questions of a knowledge base takes
seconds on two cores: every app process would spend them before its first answer,
and again for each text after an edit. So the vectors an encoder computed are
stored (`Embedding`, float16, keyed by the encoder's name and the text's SHA-256)
and handed back to the encoder before it is asked for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ponton.assistant.encoders import Encoder, remembers
from ponton.assistant.models import Embedding

BATCH = 500  # rows per query: under SQLite's limit of bound parameters


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def recall(encoder: Encoder | None, texts: Sequence[str]) -> set[str]:
    """Give the encoder the stored embeddings of these texts; returns the texts found."""
    if encoder is None or not remembers(encoder):
        return set()
    by_digest = {_digest(t): t for t in dict.fromkeys(texts)}
    digests = list(by_digest)
    found: list[str] = []
    vectors: list[np.ndarray] = []
    for start in range(0, len(digests), BATCH):
        rows = Embedding.objects.filter(
            encoder=encoder.name, digest__in=digests[start : start + BATCH]
        ).values_list("digest", "vector")
        for digest, vector in rows:
            found.append(by_digest[digest])
            vectors.append(np.frombuffer(bytes(vector), dtype="<f2").astype(np.float32))
    if found:
        encoder.remember(found, np.vstack(vectors))  # type: ignore[attr-defined]
    return set(found)


def keep(encoder: Encoder | None, texts: Sequence[str], *, known: set[str]) -> int:
    """Store the embeddings of the texts not `known` to be stored; returns how many."""
    if encoder is None or not remembers(encoder):
        return 0
    new = [t for t in dict.fromkeys(texts) if t not in known]
    if not new:
        return 0
    vectors = encoder.encode(new).astype("<f2")
    Embedding.objects.bulk_create(
        [
            Embedding(encoder=encoder.name, digest=_digest(t), vector=v.tobytes())
            for t, v in zip(new, vectors, strict=True)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,  # another process stored the same text first
    )
    return len(new)
