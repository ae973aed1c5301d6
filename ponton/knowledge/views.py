"""The help center: home, categories, articles, search."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ponton.journeys.models import EventKind
from ponton.journeys.services import record_request_event
from ponton.knowledge import search as search_engine
from ponton.knowledge import selectors
from ponton.knowledge.models import Category, Feedback
from ponton.knowledge.search import Viewer
from ponton.knowledge.services import add_feedback_comment, record_feedback

MAX_QUERY_LENGTH = 200
# Results come ten at a time, up to fifty: past that, other words or a person serve better.
RESULTS_PER_PAGE = 10
MAX_RESULT_PAGES = search_engine.MAX_RESULTS // RESULTS_PER_PAGE
FEEDBACK_SESSION_KEY = "article_feedback"


def home(request: HttpRequest) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    viewer = Viewer.for_user(request.user)
    record_request_event(request, EventKind.PAGE_VIEW, {"page": "home"})
    return render(
        request,
        "knowledge/home.html",
        {
            "categories": Category.objects.all(),
            "popular": selectors.popular(lang, viewer),
        },
    )


def category(request: HttpRequest, slug: str) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    shelf = get_object_or_404(Category, Q(slug=slug) | Q(slug_fr=slug))
    if slug != shelf.url_slug(lang):  # the other language's address, or an old one
        return redirect("knowledge:category", slug=shelf.url_slug(lang), permanent=True)
    record_request_event(request, EventKind.PAGE_VIEW, {"page": "category", "category": shelf.slug})
    return render(
        request,
        "knowledge/category.html",
        {
            "category": shelf,
            "articles": selectors.visible_in_category(shelf, lang, Viewer.for_user(request.user)),
        },
    )


def article(request: HttpRequest, slug: str) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    viewer = Viewer.for_user(request.user)
    try:
        translation = selectors.access_translation(slug, lang, viewer)
    except Http404:
        moved = selectors.moved_translation(slug, lang, viewer)
        if moved is None:
            raise
        return redirect(reverse("knowledge:article", args=[moved.slug]), permanent=True)
    feedback = request.GET.get("feedback", "")
    if not feedback:  # coming back from answering the question is not a second reading
        data = {
            "article": translation.article_id,
            "translation": translation.pk,
            "title": translation.title,
        }
        from_search = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
        if from_search:
            record_request_event(request, EventKind.SEARCH_CLICK, {**data, "query": from_search})
        record_request_event(request, EventKind.ARTICLE_VIEW, data)
    return render(
        request,
        "knowledge/article.html",
        {
            "translation": translation,
            "article": translation.article,
            "category": translation.article.category,
            "other": selectors.translation_in(translation, "en" if lang == "fr" else "fr"),
            "feedback": feedback,
        },
    )


@require_POST
def article_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    translation = selectors.access_translation(slug, lang, Viewer.for_user(request.user))
    helpful = request.POST.get("helpful") == "yes"
    comment = request.POST.get("comment", "")
    earlier = request.session.get(FEEDBACK_SESSION_KEY) or {}
    given = (
        Feedback.objects.filter(pk=earlier["id"], translation=translation).first()
        if earlier.get("translation") == translation.pk and isinstance(earlier.get("id"), int)
        else None
    )
    if given is not None and comment.strip():
        # "What was missing?" completes the answer already counted.
        add_feedback_comment(given, comment)
    else:
        given = record_feedback(
            translation,
            helpful=helpful,
            comment=comment,
            visitor_id=getattr(request, "visitor_id", ""),
            customer=request.user,
            language=lang,
        )
        request.session[FEEDBACK_SESSION_KEY] = {"translation": translation.pk, "id": given.pk}
    answer = "commented" if comment.strip() else "yes" if helpful else "no"
    return redirect(f"{reverse('knowledge:article', args=[slug])}?feedback={answer}#feedback")


def search(request: HttpRequest) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    viewer = Viewer.for_user(request.user)
    try:
        page = min(max(int(request.GET.get("page", 1)), 1), MAX_RESULT_PAGES)
    except ValueError:
        page = 1
    shown = page * RESULTS_PER_PAGE
    results = (
        search_engine.find(
            query, lang=lang, viewer=viewer, limit=shown, count_up_to=search_engine.MAX_RESULTS
        )
        if query
        else search_engine.Results([], 0)
    )
    hits = results.hits
    more = results.total > shown and page < MAX_RESULT_PAGES
    other_lang = "en" if lang == "fr" else "fr"
    # A customer who types in the other language still deserves an answer.
    other_hits = (
        search_engine.search(query, lang=other_lang, viewer=viewer, limit=5)
        if query and not hits
        else []
    )
    if query:
        record_request_event(
            request, EventKind.SEARCH, {"query": query, "results": len(hits) + len(other_hits)}
        )
    return render(
        request,
        "knowledge/search.html",
        {
            "query": query,
            "hits": hits,
            "more": more,
            "total": results.total,
            "total_is_partial": results.total_is_partial,
            "next_page": page + 1,
            "next_first": shown + 1,
            "other_hits": other_hits,
            "other_lang": other_lang,
        },
    )
