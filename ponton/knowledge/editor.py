"""The knowledge-base editor for agents and admins: list, write, preview, publish, history."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton.accounts.permissions import staff_required
from ponton.knowledge import markdown
from ponton.knowledge.forms import ArticleEditForm
from ponton.knowledge.models import Article, ArticleTranslation, ArticleVersion, Category
from ponton.knowledge.services import (
    LANGUAGES,
    ArticleFields,
    TranslationFields,
    restore_version,
    save_article,
    save_translation,
)


@staff_required
def article_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.select_related("category", "owner").prefetch_related("translations")
    query = request.GET.get("q", "").strip()
    if query:
        articles = articles.filter(
            Q(key__icontains=query) | Q(translations__title__icontains=query)
        ).distinct()
    if request.GET.get("category"):
        articles = articles.filter(category__slug=request.GET["category"])
    if request.GET.get("review") == "overdue":
        articles = articles.filter(review_due__lt=timezone.localdate())
    if request.GET.get("status") in ("draft", "published"):
        articles = articles.filter(translations__status=request.GET["status"]).distinct()
    return render(
        request,
        "knowledge/manage/list.html",
        {"articles": articles, "categories": Category.objects.all(), "today": timezone.localdate()},
    )


def _initial(article: Article | None, translation: ArticleTranslation | None) -> dict[str, Any]:
    initial: dict[str, Any] = {"status": "draft", "audience": "public"}
    if article:
        initial.update(
            key=article.key,
            category=article.category_id,
            audience=article.audience,
            plans=article.plans,
            modules=article.modules,
            segments=article.segments,
            owner=article.owner_id,
            review_due=article.review_due,
        )
    if translation:
        initial.update(
            title=translation.title,
            body=translation.body,
            questions=translation.questions,
            status=translation.status,
        )
    return initial


@staff_required
def article_edit(request: HttpRequest, pk: int | None = None, lang: str = "") -> HttpResponse:
    article = get_object_or_404(Article, pk=pk) if pk else None
    lang = lang or request.GET.get("lang") or request.LANGUAGE_CODE
    if lang not in LANGUAGES:
        lang = request.LANGUAGE_CODE
    translation = (
        ArticleTranslation.objects.filter(article=article, language=lang).first()
        if article
        else None
    )
    form = ArticleEditForm(request.POST or None, initial=_initial(article, translation))
    preview = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "preview":
            preview = markdown.render(data["body"])
        else:
            try:
                with transaction.atomic():
                    article = save_article(
                        key=data["key"],
                        article=article,
                        fields=ArticleFields(
                            category=data["category"],
                            audience=data["audience"],
                            plans=data["plans"],
                            modules=data["modules"],
                            segments=data["segments"],
                            owner=data["owner"],
                            review_due=data["review_due"],
                        ),
                    )
                    save_translation(
                        article=article,
                        language=lang,
                        fields=TranslationFields(
                            title=data["title"],
                            body=data["body"],
                            questions=data["questions"],
                            status=data["status"],
                        ),
                        author=request.user,
                        note=data["note"],
                    )
            except ValidationError as exc:
                for field_name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field_name if field_name in form.fields else None, error)
            else:
                messages.success(request, _("Article saved."))
                return redirect("knowledge:edit", pk=article.pk, lang=lang)
    return render(
        request,
        "knowledge/manage/edit.html",
        {
            "form": form,
            "article": article,
            "translation": translation,
            "lang": lang,
            "languages": LANGUAGES,
            "preview": preview,
        },
    )


@staff_required
def history(request: HttpRequest, pk: int, lang: str) -> HttpResponse:
    translation = get_object_or_404(ArticleTranslation, article_id=pk, language=lang)
    return render(
        request,
        "knowledge/manage/history.html",
        {"translation": translation, "versions": translation.versions.select_related("author")},
    )


@staff_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ArticleVersion.objects.select_related("translation"), pk=pk)
    translation = restore_version(version, author=request.user)
    messages.success(request, _("Version %(number)s restored.") % {"number": version.number})
    return redirect("knowledge:edit", pk=translation.article_id, lang=translation.language)


@staff_required
@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    """Live preview while typing: the same renderer and sanitiser as the published page."""
    return JsonResponse({"html": markdown.render(request.POST.get("body", "")[:100_000])})
