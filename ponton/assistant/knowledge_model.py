"""The assistant's understanding of the knowledge base, one model per language.

The model is trained on what customers can read: the titles and example
questions of published translations, each labelled with its article's id. It
is kept in memory per process and rebuilt when the knowledge base changes: a
cheap fingerprint (how many published translations, and when the last one
changed) is compared at most every few seconds, so every app process and
worker picks up an edit without being told; in the process that saved the
edit, the next message compares at once.

A rebuild takes seconds (the encoder's examples and the shipped off-topic
lines are learned again), so it runs in a thread of its own while the model
it replaces goes on answering: customers never wait for an edit. Only a
process with no model yet (its first message, or a first article published)
waits for one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from ponton.assistant import embeddings
from ponton.assistant.encoders import Encoder, configured_encoder
from ponton.assistant.understanding import OOS, IntentModel
from ponton.knowledge.models import ArticleTranslation, Status

logger = logging.getLogger(__name__)

DEFAULT_CHECK_SECONDS = 5.0


def _check_seconds() -> float:
    """How long a model is trusted before the fingerprint is read again
    (setting PONTON_ASSISTANT_MODEL_CHECK_SECONDS)."""
    return float(getattr(settings, "PONTON_ASSISTANT_MODEL_CHECK_SECONDS", DEFAULT_CHECK_SECONDS))


def training_examples(lang: str) -> list[tuple[str, str]]:
    """(text, article id) pairs: the title and example questions of every
    published translation in `lang`."""
    rows = (
        ArticleTranslation.objects.filter(language=lang, status=Status.PUBLISHED)
        .order_by("article_id")
        .values_list("article_id", "title", "questions")
    )
    examples: list[tuple[str, str]] = []
    for article_id, title, questions in rows:
        label = str(article_id)
        examples.append((title, label))
        examples.extend((q, label) for q in questions or [] if isinstance(q, str) and q.strip())
    return examples


# Examples of what to decline ---------------------------------------------------------

DATA = Path(__file__).parent / "data"


_without_off_topic: list[bool] = []


@contextmanager
def without_off_topic() -> Iterator[None]:
    """Train without the shipped off-topic lines inside the block (`ponton bench-kb`
    compares with and without them)."""
    _without_off_topic.append(True)
    forget()
    try:
        yield
    finally:
        _without_off_topic.pop()
        forget()


DEFAULT_OFF_TOPIC_FROM = 200


def _off_topic_from() -> int:
    """From how many titles and example questions a model also learns from the shipped
    off-topic lines (setting PONTON_ASSISTANT_OFF_TOPIC_FROM). A smaller knowledge base
    would be swamped by them and decline its own routine questions; it keeps the
    lexical rules of declining (understanding.py)."""
    return int(getattr(settings, "PONTON_ASSISTANT_OFF_TOPIC_FROM", DEFAULT_OFF_TOPIC_FROM))


def off_topic(lang: str) -> tuple[str, ...]:
    return () if _without_off_topic else _off_topic(lang)


@cache
def _off_topic(lang: str) -> tuple[str, ...]:
    """Everyday questions that are no customer-care team's business (cooking, weather,
    sport, travel, homework, other shops' products...), shipped with the product in
    data/off_topic.LANG.txt: every model learns to decline them beside the knowledge
    base's own examples."""
    path = DATA / f"off_topic.{lang}.txt"
    if not path.exists():
        return ()
    return tuple(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())


_decline: dict[str, tuple[str, ...]] = {}


@contextmanager
def declining(lang: str, texts: Sequence[str]) -> Iterator[None]:
    """Train the `lang` model, while inside the block, with these examples of
    messages to decline (label "oos"); the benchmark uses it for the
    out-of-scope rows of a training file."""
    previous = _decline.get(lang)
    _decline[lang] = tuple(texts)
    forget()
    try:
        yield
    finally:
        if previous is None:
            _decline.pop(lang, None)
        else:
            _decline[lang] = previous
        forget()


# The current model -------------------------------------------------------------------


@dataclass(frozen=True)
class _Fingerprint:
    published: int
    last_change: datetime | None
    encoder: str


@dataclass
class _Current:
    model: IntentModel | None
    fingerprint: _Fingerprint
    checked_at: float


_current: dict[str, _Current] = {}
_lock = threading.Lock()


def _fingerprint(lang: str, encoder: Encoder | None) -> _Fingerprint:
    figures = ArticleTranslation.objects.filter(language=lang, status=Status.PUBLISHED).aggregate(
        published=Count("id"), last_change=Max("updated_at")
    )
    return _Fingerprint(
        published=figures["published"] or 0,
        last_change=figures["last_change"],
        encoder=encoder.name if encoder is not None else "",
    )


def _build(lang: str, fingerprint: _Fingerprint, encoder: Encoder | None) -> _Current:
    examples = training_examples(lang)
    model = None
    if examples:
        embeddings.remember_shipped(encoder, off_topic(lang), DATA / f"off_topic.{lang}.e5.npy")
        own = [text for text, _ in examples]
        stored = embeddings.recall(encoder, own)
        shipped = off_topic(lang) if len(examples) >= _off_topic_from() else ()
        examples += [(t, OOS) for t in (*shipped, *_decline.get(lang, ()))]
        model = IntentModel.train(examples, lang=lang, encoder=encoder)
        embeddings.keep(encoder, own, known=stored)
    current = _Current(model=model, fingerprint=fingerprint, checked_at=time.monotonic())
    _current[lang] = current
    return current


def current_model(lang: str) -> IntentModel | None:
    """The model of the published knowledge base in `lang`; None when no article is
    published in that language. When the knowledge base changed, the model in use
    answers until its successor is ready (setting PONTON_ASSISTANT_REBUILD_IN_BACKGROUND,
    True by default; tests turn it off to read the new model at once)."""
    current = _current.get(lang)
    if current is not None and time.monotonic() - current.checked_at < _check_seconds():
        return current.model
    encoder = configured_encoder()
    fingerprint = _fingerprint(lang, encoder)
    if current is not None and current.fingerprint == fingerprint:
        current.checked_at = time.monotonic()
        return current.model
    if (
        current is not None
        and current.model is not None
        and current.fingerprint.encoder == fingerprint.encoder
        and _in_background()
    ):
        current.checked_at = time.monotonic()  # the others answer without asking again
        _rebuild_in_background(lang)
        return current.model
    with _lock:  # one rebuild at a time; the others wait for its result
        current = _current.get(lang)
        if current is not None and current.fingerprint == fingerprint:
            return current.model
        return _build(lang, fingerprint, encoder).model


def _in_background() -> bool:
    return bool(getattr(settings, "PONTON_ASSISTANT_REBUILD_IN_BACKGROUND", True))


_rebuilding: dict[str, threading.Thread] = {}
_starting = threading.Lock()  # not _lock, which a rebuild holds for seconds


def _rebuild_in_background(lang: str) -> threading.Thread:
    """Start rebuilding the `lang` model in a thread, unless one already does."""
    with _starting:
        running = _rebuilding.get(lang)
        if running is not None and running.is_alive():
            return running
        thread = threading.Thread(
            target=_rebuild, args=(lang,), name=f"assistant-rebuild-{lang}", daemon=True
        )
        _rebuilding[lang] = thread
        thread.start()
        return thread


def _rebuild(lang: str) -> None:
    try:
        retrain(lang)
    except LookupError:
        pass  # nothing is published in `lang` any more: there is no model now
    except Exception:  # the model in use goes on answering; the next check tries again
        logger.exception("The assistant's %s model could not be rebuilt.", lang)
    finally:
        connection.close()


def retrain(lang: str) -> IntentModel:
    """Rebuild the `lang` model now. Raises LookupError when no article is
    published in that language."""
    with _lock:
        encoder = configured_encoder()
        model = _build(lang, _fingerprint(lang, encoder), encoder).model
    if model is None:
        raise LookupError(f"No published article in {lang!r} to learn from.")
    return model


def _translation_changed(sender: type, instance: ArticleTranslation, **kwargs: object) -> None:
    """An edit in this process: compare fingerprints on the next message, not in
    a few seconds."""
    current = _current.get(instance.language)
    if current is not None:
        current.checked_at = -float("inf")


post_save.connect(_translation_changed, sender=ArticleTranslation, dispatch_uid="assistant-model")
post_delete.connect(_translation_changed, sender=ArticleTranslation, dispatch_uid="assistant-model")


def forget() -> None:
    """Drop every cached model (tests and benchmarks that roll back their data)."""
    with _lock:
        _current.clear()
