"""Turning what insights find into knowledge-base work, in one action.

Drafts go through the knowledge services (`save_article`, `save_translation`),
so they have a version history, an owner and a review date like any article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.conversations.access import access_conversation
from ponton.conversations.memory import recall
from ponton.conversations.models import Author, Message
from ponton.knowledge.models import Article, ArticleTranslation, Category, Status
from ponton.knowledge.services import (
    LANGUAGES,
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
)

REVIEW_AFTER = timedelta(days=180)
MAX_TITLE = 120


def _free_key(base: str) -> str:
    base = (slugify(base)[:80] or "draft").strip("-")
    key, n = base, 2
    while Article.objects.filter(key=key).exists():
        key, n = f"{base}-{n}", n + 1
    return key


def _default_category() -> Category:
    category = Category.objects.order_by("position", "slug").first()
    if category is None:
        raise ValidationError({"category": _("Create a category first.")})
    return category


@dataclass
class DraftRequest:
    """A new article to write about a need customers did not find answered."""

    title: str
    language: str
    questions: list[str] = field(default_factory=list)
    owner: Any = None
    category: Category | None = None
    evidence: str = ""


@transaction.atomic
def draft_article(request: DraftRequest, *, by: Any) -> ArticleTranslation:
    """Create a draft assigned to an owner, prefilled with the customers' own words."""
    if request.language not in LANGUAGES:
        raise ValidationError({"language": _("Articles are written in French or English.")})
    owner = request.owner or by
    if not getattr(owner, "is_agent", False):
        raise ValidationError({"owner": _("The owner must be a member of staff.")})
    title = Truncator(request.title.strip()).chars(MAX_TITLE) or _("New article")
    title = title[0].upper() + title[1:]
    questions = list(dict.fromkeys(q.strip() for q in request.questions if q.strip()))[:20]
    with override(request.language):
        body = _("*Draft written from what customers asked. Replace this text with the answer.*")
        if request.evidence:
            body += "\n\n" + request.evidence
    article = save_article(
        key=_free_key(title),
        fields=ArticleFields(
            category=request.category or _default_category(),
            owner=owner,
            review_due=timezone.localdate() + REVIEW_AFTER,
        ),
    )
    return save_translation(
        article=article,
        language=request.language,
        fields=TranslationFields(title=title, body=body, questions=questions, status=Status.DRAFT),
        author=by,
        note=_("Draft from insights"),
    )


def access_reply(user: Any, message_id: int) -> Message:
    """An agent's reply the user may turn into an article, or 404 (the same for
    missing, not a reply, and out of the user's scope)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.author != Author.AGENT or message.internal:
        raise Http404
    access_conversation(user, message.conversation_id)
    return message


@transaction.atomic
def draft_article_from_reply(message: Message, *, by: Any) -> ArticleTranslation:
    """A draft whose example question is what the customer asked and whose answer
    is the agent's reply; the agent who makes it owns it."""
    if not getattr(by, "is_agent", False):
        raise PermissionDenied
    if message.author != Author.AGENT:
        raise ValidationError({"message": _("Only an advisor's reply can become an article.")})
    conversation = message.conversation
    question = (
        conversation.messages.filter(author=Author.CUSTOMER, id__lt=message.pk)
        .exclude(text__startswith="[")
        .order_by("-id")
        .values_list("text", flat=True)
        .first()
    ) or ""
    need = recall(conversation).detected_need
    category = None
    if isinstance(need.get("article"), int):
        category = Category.objects.filter(articles__pk=need["article"]).first() or None
    title = Truncator(question.strip().splitlines()[0] if question.strip() else "").chars(
        MAX_TITLE
    ) or Truncator(message.text).words(8)
    article = save_article(
        key=_free_key(title),
        fields=ArticleFields(
            category=category or _default_category(),
            owner=by,
            review_due=timezone.localdate() + REVIEW_AFTER,
        ),
    )
    return save_translation(
        article=article,
        language=conversation.language if conversation.language in LANGUAGES else "fr",
        fields=TranslationFields(
            title=title[0].upper() + title[1:],
            body=message.text,
            questions=[question.strip()] if question.strip() else [],
            status=Status.DRAFT,
        ),
        author=by,
        note=_("Draft from a reply in conversation #%(id)s") % {"id": conversation.pk},
    )
