"""Reading the knowledge base for the help center, with targeting applied."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import ArticleTranslation, Category, SlugAlias, Status
from ponton.knowledge.search import Viewer

POPULAR_WINDOW = timedelta(days=30)


def published(lang: str) -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(language=lang, status=Status.PUBLISHED).select_related(
        "article", "article__category"
    )


def visible_in_category(category: Category, lang: str, viewer: Viewer) -> list[ArticleTranslation]:
    translations = published(lang).filter(article__category=category).order_by("title")
    return [t for t in translations if viewer.can_see(t.article)]


def access_translation(slug: str, lang: str, viewer: Viewer) -> ArticleTranslation:
    """The published translation the viewer may read, or 404 (the same for missing and hidden)."""
    translation = published(lang).filter(slug=slug).first()
    if translation is None or not viewer.can_see(translation.article):
        raise Http404
    return translation


def moved_translation(slug: str, lang: str, viewer: Viewer) -> ArticleTranslation | None:
    """Where an unknown slug now lives in `lang`: a former slug of the article, or the
    article's slug in the other language (the language switch keeps the slug)."""
    alias = SlugAlias.objects.filter(slug=slug).select_related("translation").first()
    article_id = alias.translation.article_id if alias else None
    if article_id is None:
        other = ArticleTranslation.objects.filter(slug=slug).exclude(language=lang).first()
        article_id = other.article_id if other else None
    if article_id is None:
        return None
    target = published(lang).filter(article_id=article_id).first()
    return target if target is not None and viewer.can_see(target.article) else None


def popular_article_ids() -> list[int]:
    """Article ids by views over the last 30 days, most read first (cached ten minutes)."""

    def compute() -> list[int]:
        rows = (
            JourneyEvent.objects.filter(
                kind=EventKind.ARTICLE_VIEW, occurred_at__gte=timezone.now() - POPULAR_WINDOW
            )
            .values("data__article")
            .annotate(views=Count("id"))
            .order_by("-views")[:50]
        )
        return [int(r["data__article"]) for r in rows if r["data__article"] is not None]

    ids: list[int] = cache.get_or_set("knowledge:popular", compute, 600) or []
    return ids


def popular(lang: str, viewer: Viewer, limit: int = 6) -> list[ArticleTranslation]:
    ids = popular_article_ids()
    by_article = {t.article_id: t for t in published(lang).filter(article_id__in=ids)}
    ordered = [by_article[i] for i in ids if i in by_article]
    if len(ordered) < limit:  # a new help center has no history yet
        ordered += [t for t in published(lang).order_by("-published_at") if t not in ordered]
    return [t for t in ordered if viewer.can_see(t.article)][:limit]


def article_url(translation: ArticleTranslation) -> str:
    """The help-center address of a translation, under its own language's prefix."""
    with override(translation.language):
        return reverse("knowledge:article", args=[translation.slug])


def translation_in(translation: ArticleTranslation, lang: str) -> ArticleTranslation | None:
    """The same article in another language, if published."""
    return published(lang).filter(article_id=translation.article_id).first()
