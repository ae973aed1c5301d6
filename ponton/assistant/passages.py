"""What each published article says, as the sentence encoder reads it, for search.

A question phrased without an article's words still lies near the article in the
encoder's space: near its title, one of its example questions or a passage of its
body. Those passages are embedded when a translation is saved (the
`assistant.embed_passages` task) and stored (`Passage`, float16), so that no
search and no new process encodes an article again.

Searching them must not read every vector for every query. Each process keeps, per
language, one vector per translation in memory: the mean of its passages (the
`summary` row), in a float32 matrix that one product compares with the question
(100k articles: 150 MB, a few milliseconds). The translations nearest by that
summary are then compared passage by passage, reading only their rows, and each
scores by its best passage. Measured by `ponton bench-search` on SQLite, two cores
shared with other work: 10k articles, an index of 15 MB loaded in 0.1 s, a fused
search p50 21 ms and p95 56 ms (full text alone 12 and 34); 100k articles, 147 MB
loaded in 1.1 s, p50 44 ms and p95 95 ms (full text alone 25 and 70). Keeping every
passage in memory instead (seven or more per article) would take a gigabyte at 100k. The matrix is reloaded when the stored passages changed:
a cheap fingerprint (how many summaries, the last id) is read at most every few
seconds, and at once after an edit in this process, as the assistant's model does
(`knowledge_model`). Embedding is per translation (the `assistant.embed_passages` task
after each save); `ponton kb-reindex` embeds whatever is missing or out of date, after
an import or with a new encoder. pgvector would do the same in the database, but it is not
packaged for the machines Ponton runs on; this works the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from threadpoolctl import ThreadpoolController

from ponton.assistant import embeddings, knowledge_model
from ponton.assistant.encoders import Encoder, configured_encoder
from ponton.assistant.models import Passage, PassageKind
from ponton.knowledge.markdown import plain_text
from ponton.knowledge.models import ArticleTranslation, Status

DEFAULT_CHECK_SECONDS = 5.0
BODY_PASSAGES = 4  # the opening paragraphs say what an article is about; the rest is detail
PASSAGE_CHARS = 320
RERANKED = 40  # translations compared passage by passage after the summary product
# Below this cosine a passage is no answer (e5's similarities of unrelated French or English
# texts lie around 0.70-0.78; nonsense must leave the no-result page to a person).
MIN_SIMILARITY = 0.83

_SENTENCE = re.compile(r"(?<=[.!?:])\s+")


def _check_seconds() -> float:
    return float(getattr(settings, "PONTON_ASSISTANT_MODEL_CHECK_SECONDS", DEFAULT_CHECK_SECONDS))


def passages_of(translation: ArticleTranslation) -> list[tuple[str, str]]:
    """(kind, text) of a translation: its title, each example question, and its
    opening paragraphs in pieces of a few sentences."""
    found = [(PassageKind.TITLE.value, translation.title.strip())]
    found += [
        (PassageKind.QUESTION.value, q.strip())
        for q in translation.questions or []
        if isinstance(q, str) and q.strip()
    ]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE.split(plain_text(translation.body_html)):
        if current and len(current) + len(sentence) + 1 > PASSAGE_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()[: PASSAGE_CHARS * 2]
        if len(pieces) >= BODY_PASSAGES:
            break
    if current and len(pieces) < BODY_PASSAGES:
        pieces.append(current)
    found += [(PassageKind.BODY.value, p) for p in pieces if len(p) >= 20]
    return [(kind, text) for kind, text in found if text]


# Storing ---------------------------------------------------------------------------------


def _vectors(encoder: Encoder, texts: list[str], reuse: dict[str, bytes]) -> np.ndarray:
    """Embeddings of `texts`, from stored rows where they exist (this table, then the
    assistant's store of titles and questions), encoded otherwise."""
    missing = [t for t in dict.fromkeys(texts) if embeddings.digest(t) not in reuse]
    known = embeddings.recall(encoder, missing)
    computed = dict(zip(missing, encoder.encode(missing), strict=True)) if missing else {}
    embeddings.keep(encoder, missing, known=known)
    rows = []
    for t in texts:
        stored = reuse.get(embeddings.digest(t))
        if stored is not None:
            rows.append(embeddings.unpack([stored])[0])
        else:
            rows.append(np.asarray(computed[t], dtype=np.float32))
    return np.vstack(rows)


def _summary(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)


def embed_translation(translation: ArticleTranslation, encoder: Encoder) -> bool:
    """Bring the stored passages of one translation in line with its text: present and
    current if published, absent if not. Returns whether anything changed."""
    stored = Passage.objects.filter(translation=translation, encoder=encoder.name)
    _stale(translation.language)
    if translation.status != Status.PUBLISHED:
        return bool(stored.delete()[0])
    wanted = passages_of(translation)
    rows = list(stored.exclude(kind=PassageKind.SUMMARY).order_by("position"))
    if [(r.kind, r.digest) for r in rows] == [(k, embeddings.digest(t)) for k, t in wanted]:
        return False
    reuse = {r.digest: bytes(r.vector) for r in rows}
    vectors = _vectors(encoder, [t for _, t in wanted], reuse)
    common = {
        "translation": translation,
        "article_id": translation.article_id,
        "language": translation.language,
        "encoder": encoder.name,
    }
    with transaction.atomic():
        stored.delete()
        Passage.objects.bulk_create(
            [
                Passage(
                    kind=kind,
                    position=i + 1,
                    digest=embeddings.digest(t),
                    vector=embeddings.pack(v),
                    **common,
                )
                for i, ((kind, t), v) in enumerate(zip(wanted, vectors, strict=True))
            ]
            + [
                Passage(
                    kind=PassageKind.SUMMARY,
                    position=0,
                    digest="",
                    vector=embeddings.pack(_summary(vectors)),
                    **common,
                )
            ]
        )
    return True


def embed_language(lang: str, encoder: Encoder | None = None) -> int:
    """Embed every published translation in `lang` whose passages changed, and drop
    those of translations no longer published; returns how many translations changed.
    Idempotent: a second run finds nothing to do."""
    encoder = encoder or configured_encoder()
    if encoder is None:
        return 0
    changed = 0
    published = ArticleTranslation.objects.filter(language=lang, status=Status.PUBLISHED).only(
        "id", "article_id", "language", "status", "title", "questions", "body_html"
    )
    for translation in published.iterator(chunk_size=500):
        changed += embed_translation(translation, encoder)
    gone = (
        Passage.objects.filter(language=lang, encoder=encoder.name)
        .exclude(translation__status=Status.PUBLISHED)
        .delete()[0]
    )
    if gone:
        changed += 1
    if changed:
        forget(lang)
    return changed


# Searching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fingerprint:
    summaries: int
    last_id: int | None
    encoder: str


@dataclass
class _Index:
    article_ids: np.ndarray
    matrix: np.ndarray  # one unit-length float32 row per published translation
    fingerprint: _Fingerprint
    checked_at: float


_indexes: dict[str, _Index] = {}
_lock = threading.Lock()


def _summaries(lang: str, encoder: Encoder):  # type: ignore[no-untyped-def]
    return Passage.objects.filter(encoder=encoder.name, language=lang, kind=PassageKind.SUMMARY)


def _fingerprint(lang: str, encoder: Encoder) -> _Fingerprint:
    figures = _summaries(lang, encoder).aggregate(summaries=Count("id"), last_id=Max("id"))
    return _Fingerprint(figures["summaries"], figures["last_id"], encoder.name)


def _load(lang: str, encoder: Encoder, fingerprint: _Fingerprint) -> _Index:
    rows = _summaries(lang, encoder).values_list("article_id", "vector")
    ids: list[int] = []
    vectors: list[bytes] = []
    for article_id, vector in rows.iterator(chunk_size=5000):
        ids.append(article_id)
        vectors.append(bytes(vector))
    matrix = embeddings.unpack(vectors)
    return _Index(np.asarray(ids, dtype=np.int64), matrix, fingerprint, time.monotonic())


def index(lang: str, encoder: Encoder) -> _Index:
    """This process's index of `lang`, reloaded when the stored passages changed."""
    current = _indexes.get(lang)
    if (
        current is not None
        and current.fingerprint.encoder == encoder.name
        and time.monotonic() - current.checked_at < _check_seconds()
    ):
        return current
    with _lock:
        fingerprint = _fingerprint(lang, encoder)
        current = _indexes.get(lang)
        if current is not None and current.fingerprint == fingerprint:
            current.checked_at = time.monotonic()
            return current
        current = _indexes[lang] = _load(lang, encoder, fingerprint)
        return current


_blas = ThreadpoolController()


def _product(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector on one thread: a search is one of many requests on few cores, and
    BLAS threads waiting for a busy core cost more than the product itself."""
    with _blas.limit(limits=1, user_api="blas"):
        return matrix @ vector


def nearest(query: str, *, lang: str, limit: int, encoder: Encoder) -> list[tuple[int, float]]:
    """(article id, cosine of its best passage) of the articles nearest `query`, best
    first, none below MIN_SIMILARITY."""
    current = index(lang, encoder)
    if not len(current.article_ids):
        return []
    q = encoder.encode([query])[0].astype(np.float32)
    coarse = _product(current.matrix, q)
    take = min(RERANKED, len(coarse))
    top = np.argpartition(-coarse, take - 1)[:take]
    candidates = [int(a) for a in current.article_ids[top]]
    best: dict[int, float] = {}
    rows = (
        Passage.objects.filter(encoder=encoder.name, language=lang, article_id__in=candidates)
        .exclude(kind=PassageKind.SUMMARY)
        .values_list("article_id", "vector")
    )
    ids: list[int] = []
    vectors: list[bytes] = []
    for article_id, vector in rows:
        ids.append(article_id)
        vectors.append(bytes(vector))
    if not ids:
        return []
    similarities = _product(embeddings.unpack(vectors), q)
    for article_id, similarity in zip(ids, similarities.tolist(), strict=True):
        if similarity > best.get(article_id, -1.0):
            best[article_id] = similarity
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    return [(a, s) for a, s in ranked if s >= MIN_SIMILARITY][:limit]


def forget(lang: str | None = None) -> None:
    """Drop this process's index (of one language, or all): the next search reloads it."""
    with _lock:
        if lang is None:
            _indexes.clear()
        else:
            _indexes.pop(lang, None)


def _stale(lang: str) -> None:
    """Compare fingerprints at the next search in this process, not in a few seconds."""
    current = _indexes.get(lang)
    if current is not None:
        current.checked_at = -float("inf")


def _translation_changed(sender: type, instance: ArticleTranslation, **kwargs: object) -> None:
    _stale(instance.language)


post_save.connect(_translation_changed, sender=ArticleTranslation, dispatch_uid="search-passages")
post_delete.connect(_translation_changed, sender=ArticleTranslation, dispatch_uid="search-passages")


# The readings search fuses ---------------------------------------------------------------


class EncoderReading:
    """Articles whose title, example questions or opening passages mean what the
    question means, by the sentence encoder; nothing without an encoder."""

    name = "encoder"
    judges_scope = False  # the nearest passages of nonsense are near enough

    def rank(self, query: str, *, lang: str, limit: int) -> list[int]:
        encoder = configured_encoder()
        if encoder is None:
            return []
        return [a for a, _ in nearest(query, lang=lang, limit=limit, encoder=encoder)]


MIN_PROBABILITY = 0.05


class AssistantReading:
    """The articles the assistant would answer with, when it answers at all. Only with
    an encoder: without one the lexical model reads the same words as full text does."""

    name = "assistant"

    @property
    def judges_scope(self) -> bool:
        """With an encoder it declines what is not the knowledge base's; without one it
        has nothing to say."""
        return configured_encoder() is not None

    def rank(self, query: str, *, lang: str, limit: int) -> list[int]:
        if configured_encoder() is None:
            return []
        model = knowledge_model.current_model(lang)
        if model is None:
            return []
        prediction = model.predict(query, k=limit)
        if prediction.out_of_scope:
            return []
        return [int(label) for label, p in prediction.ranked if p >= MIN_PROBABILITY]
