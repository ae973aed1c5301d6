"""Every change to the knowledge base goes through these functions.

Each one validates, writes, keeps the version history and the search index
in step, and records who did it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event
from ponton.knowledge import markdown, search
from ponton.knowledge.models import (
    Article,
    ArticleTranslation,
    ArticleVersion,
    Audience,
    Category,
    Feedback,
    SlugAlias,
    Status,
)
from ponton.tasks.services import enqueue
from ponton.webhooks import payloads
from ponton.webhooks.services import emit

LANGUAGES = ("fr", "en")


@dataclass
class ArticleFields:
    """What an editor or an import sets on an article, shared by its translations."""

    category: Category
    audience: str = Audience.PUBLIC
    plans: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    owner: Any = None
    review_due: date | None = None


@dataclass
class TranslationFields:
    """What an editor or an import sets on one language of an article."""

    title: str
    body: str
    questions: list[str] = field(default_factory=list)
    status: str = Status.DRAFT


def _clean_list(values: list[str]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})


@transaction.atomic
def save_article(*, key: str, fields: ArticleFields, article: Article | None = None) -> Article:
    """Create the article `key`, or update `article` with `fields`."""
    key = slugify(key)
    if not key:
        raise ValidationError({"key": _("An article needs a key (letters, digits and hyphens).")})
    if fields.audience not in Audience.values:
        raise ValidationError({"audience": _("Unknown audience.")})
    same_key = Article.objects.filter(key=key)
    if article is not None:
        same_key = same_key.exclude(pk=article.pk)
    if same_key.exists():
        raise ValidationError({"key": _("Another article already uses this key.")})
    article = article or Article()
    article.key = key
    article.category = fields.category
    article.audience = fields.audience
    article.plans = _clean_list(fields.plans)
    article.modules = _clean_list(fields.modules)
    article.segments = _clean_list(fields.segments)
    article.owner = fields.owner
    article.review_due = fields.review_due
    article.save()
    return article


def _unique_slug(title: str, language: str, exclude_pk: int | None) -> str:
    base = slugify(title)[:180] or "article"
    slug, n = base, 2
    taken = ArticleTranslation.objects.filter(language=language)  # aliases may be reused
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def save_translation(
    *,
    article: Article,
    language: str,
    fields: TranslationFields,
    author: Any,
    note: str = "",
) -> ArticleTranslation:
    """Write one language of an article as a new version, and reindex it."""
    errors: dict[str, str] = {}
    if language not in LANGUAGES:
        errors["language"] = _("Articles are written in French or English.")
    if not fields.title.strip():
        errors["title"] = _("A title is required.")
    if not fields.body.strip():
        errors["body"] = _("The article needs a body.")
    if fields.status not in Status.values:
        errors["status"] = _("Unknown status.")
    if errors:
        raise ValidationError(errors)

    translation = (
        ArticleTranslation.objects.select_for_update()
        .filter(article=article, language=language)
        .first()
    ) or ArticleTranslation(article=article, language=language)
    title = fields.title.strip()
    if translation.pk is None or translation.title != title:
        new_slug = _unique_slug(title, language, translation.pk)
        if translation.pk is not None and new_slug != translation.slug:
            SlugAlias.objects.update_or_create(
                language=language, slug=translation.slug, defaults={"translation": translation}
            )
        SlugAlias.objects.filter(language=language, slug=new_slug).delete()
        translation.slug = new_slug
    translation.title = title
    translation.body = fields.body.strip() + "\n"
    translation.body_html = markdown.render(translation.body)
    translation.excerpt = markdown.excerpt(translation.body_html)
    translation.questions = [q.strip() for q in fields.questions if q.strip()]
    if fields.status == Status.PUBLISHED and translation.published_at is None:
        translation.published_at = timezone.now()
    published = fields.status == Status.PUBLISHED and translation.status != Status.PUBLISHED
    translation.status = fields.status
    translation.save()
    if published:
        emit("article.published", payloads.article(translation))

    last = translation.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ArticleVersion.objects.create(
        translation=translation,
        number=last + 1,
        title=translation.title,
        body=translation.body,
        questions=translation.questions,
        status=translation.status,
        author=author if getattr(author, "is_authenticated", False) else None,
        note=note[:200],
    )
    search.index_translation(translation)
    # The assistant learns from every published article without anyone retraining by hand.
    enqueue("assistant.retrain", dedupe_key=f"assistant.retrain:{language}", lang=language)
    # Search understands it as soon as its passages are embedded.
    enqueue(
        "assistant.embed_passages",
        dedupe_key=f"assistant.embed_passages:{translation.pk}",
        translation_id=translation.pk,
    )
    return translation


def set_status(translation: ArticleTranslation, status: str, *, author: Any) -> ArticleTranslation:
    """Publish or unpublish a translation (a new version records who did it)."""
    return save_translation(
        article=translation.article,
        language=translation.language,
        fields=TranslationFields(
            title=translation.title,
            body=translation.body,
            questions=list(translation.questions),
            status=status,
        ),
        author=author,
        note=_("Published") if status == Status.PUBLISHED else _("Unpublished"),
    )


def restore_version(version: ArticleVersion, *, author: Any) -> ArticleTranslation:
    """Make an earlier version the current text again, as a new version."""
    translation = version.translation
    return save_translation(
        article=translation.article,
        language=translation.language,
        fields=TranslationFields(
            title=version.title,
            body=version.body,
            questions=list(version.questions),
            status=translation.status,
        ),
        author=author,
        note=_("Restored version %(number)s") % {"number": version.number},
    )


def record_feedback(
    translation: ArticleTranslation,
    *,
    helpful: bool,
    comment: str = "",
    visitor_id: str = "",
    customer: Any = None,
    language: str = "",
) -> Feedback:
    """Keep a reader's "did this answer your question?" and log it in their journey."""
    customer = customer if getattr(customer, "is_authenticated", False) else None
    feedback = Feedback.objects.create(
        translation=translation,
        helpful=helpful,
        comment=comment.strip()[:2000],
        visitor_id=visitor_id,
        customer=customer,
    )
    record_event(
        EventKind.ARTICLE_FEEDBACK,
        visitor_id=visitor_id,
        customer=customer,
        language=language or translation.language,
        data={
            "article": translation.article_id,
            "translation": translation.pk,
            "title": translation.title,
            "helpful": helpful,
        },
    )
    return feedback


def add_feedback_comment(feedback: Feedback, comment: str) -> Feedback:
    """What was missing, added to an answer already counted (not a second answer)."""
    feedback.comment = comment.strip()[:2000]
    feedback.save(update_fields=["comment"])
    return feedback
