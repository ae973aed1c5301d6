"""The context packet as an agent reads it: plain words and links.

The packet frozen at the handoff (`conversations.context`) keeps ids and
figures; here every article becomes its title with a link, the customer's own
comments are quoted, scores move behind a "details" element, and the articles
to suggest come from what the assistant understood of the conversation (its
intent model over the customer's messages and searches), not from words that
merely look alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from ponton.assistant.knowledge_model import current_model
from ponton.conversations.context import conversation_page
from ponton.conversations.memory import recall
from ponton.conversations.models import Author, Conversation
from ponton.knowledge.models import ArticleTranslation, Status
from ponton.knowledge.search import Viewer
from ponton.knowledge.selectors import article_url

# An article is suggested when the assistant's probabilities for it, added over the
# customer's messages and searches, reach this: one clear message (0.99), or a few
# that agree; never one vague guess (an angry message gives 0.13 to anything).
SUGGEST_MIN = 0.3
COUNTED_MIN = 0.05
SUGGESTIONS = 3
READ_MESSAGES = 5


@dataclass(frozen=True)
class ArticleLink:
    id: int
    title: str
    url: str  # absolute: an agent may paste it into a reply


@dataclass
class Tried:
    """One thing the customer did or was offered before reaching a person."""

    kind: str  # search, read, feedback, offered
    at: str = ""
    query: str = ""
    results: int | None = None
    article: ArticleLink | None = None
    title: str = ""  # when the article no longer exists
    helpful: bool | None = None
    comment: str = ""


@dataclass
class Packet:
    reason: str
    signals: list[dict[str, Any]]
    need: ArticleLink | None
    need_confidence: float | None
    tried: list[Tried]
    failed_attempts: int
    comments: list[Tried]
    customer: dict[str, Any]
    routing_why: str
    suggested: list[ArticleLink] = field(default_factory=list)
    # The page of the company's site the widget was opened from: url, module, attributes.
    page: dict[str, Any] = field(default_factory=dict)

    @property
    def need_percent(self) -> int | None:
        return round(self.need_confidence * 100) if self.need_confidence is not None else None

    @property
    def nothing_tried(self) -> bool:
        return not self.tried and not self.failed_attempts


def _links(ids: set[int], lang: str) -> dict[int, ArticleLink]:
    """Each article in the conversation's language, else in any language it has."""
    site = settings.SITE_URL.rstrip("/")
    found: dict[int, ArticleLink] = {}
    translations = ArticleTranslation.objects.filter(article_id__in=ids).order_by(
        "article_id", "-status"
    )
    for t in sorted(translations, key=lambda t: (t.language != lang, t.status != Status.PUBLISHED)):
        if t.article_id not in found:
            found[t.article_id] = ArticleLink(t.article_id, t.title, site + article_url(t))
    return found


def _article_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def for_people(conversation: Conversation) -> Packet:
    """The packet of `conversation`, ready to read."""
    raw: dict[str, Any] = conversation.context or {}
    need_raw = raw.get("detected_need") or recall(conversation).detected_need or {}
    offered = [a for a in raw.get("articles_offered") or [] if _article_id(a) is not None]
    ids = {a for a in offered}
    ids |= {
        a
        for item in [*(raw.get("articles_viewed") or []), *(raw.get("feedback") or [])]
        if (a := _article_id(item.get("article"))) is not None
    }
    need_id = _article_id(need_raw.get("article"))
    if need_id is not None:
        ids.add(need_id)
    links = _links(ids, conversation.language) if ids else {}

    tried: list[Tried] = []
    for s in raw.get("searches") or []:
        tried.append(
            Tried("search", at=s.get("at", ""), query=s.get("query", ""), results=s.get("results"))
        )
    for v in raw.get("articles_viewed") or []:
        a = _article_id(v.get("article"))
        tried.append(
            Tried("read", at=v.get("at", ""), article=links.get(a or 0), title=v.get("title", ""))
        )
    comments = []
    for f in raw.get("feedback") or []:
        a = _article_id(f.get("article"))
        item = Tried(
            "feedback",
            at=f.get("at", ""),
            article=links.get(a or 0),
            title=f.get("title", ""),
            helpful=f.get("helpful"),
            comment=(f.get("comment") or "").strip(),
        )
        tried.append(item)
        if item.comment:
            comments.append(item)
    for a in offered:
        tried.append(Tried("offered", article=links.get(a)))
    tried.sort(key=lambda t: t.at or "~")  # in the order they happened; undated last

    confidence = need_raw.get("confidence")
    packet = Packet(
        reason=conversation.handoff_reason or raw.get("reason", ""),
        signals=raw.get("signals") or [],
        need=links.get(need_id) if need_id is not None else None,
        need_confidence=float(confidence) if isinstance(confidence, int | float) else None,
        tried=tried,
        failed_attempts=int(raw.get("failed_attempts") or 0),
        comments=comments,
        customer=raw.get("customer") or {},
        routing_why=(raw.get("routing") or {}).get("why", ""),
        page=raw.get("page") or conversation_page(conversation) or {},
    )
    not_again = set(offered) | {
        _article_id(f.get("article"))
        for f in raw.get("feedback") or []
        if f.get("helpful") is False
    }
    packet.suggested = suggested_articles(
        conversation,
        searches=[s.get("query", "") for s in raw.get("searches") or []]
        + [c.comment for c in comments],
        need=need_id,
        exclude={a for a in not_again if a is not None},
    )
    return packet


def suggested_articles(
    conversation: Conversation,
    *,
    searches: list[str] | None = None,
    need: int | None = None,
    exclude: set[int] | None = None,
    limit: int = SUGGESTIONS,
) -> list[ArticleLink]:
    """Articles that answer the need the assistant recognises in the customer's
    messages, searches and comments, which the customer may read and has not
    already been given. Nothing rather than something unrelated: words the
    assistant does not understand suggest no article."""
    lang = conversation.language
    texts = list(
        conversation.messages.filter(author=Author.CUSTOMER, internal=False)
        .order_by("-id")
        .values_list("text", flat=True)[:READ_MESSAGES]
    )
    texts += [q for q in searches or [] if q]
    scores: dict[int, float] = {}
    if need is not None:
        scores[need] = 1.0
    model = current_model(lang) if texts else None
    if model is not None:
        for text in texts:
            prediction = model.predict(text[:500], k=SUGGESTIONS)
            if prediction.out_of_scope:
                continue
            for label, probability in prediction.ranked:
                if label.isdigit() and probability >= COUNTED_MIN:
                    scores[int(label)] = scores.get(int(label), 0.0) + probability
    for article in exclude or ():
        scores.pop(article, None)
    scores = {a: score for a, score in scores.items() if score >= SUGGEST_MIN}
    if not scores:
        return []
    viewer = Viewer.for_user(conversation.customer)
    translations = {
        t.article_id: t
        for t in ArticleTranslation.objects.filter(
            article_id__in=scores, language=lang, status=Status.PUBLISHED
        ).select_related("article")
    }
    site = settings.SITE_URL.rstrip("/")
    ranked = sorted(scores, key=lambda a: -scores[a])
    return [
        ArticleLink(a, translations[a].title, site + article_url(translations[a]))
        for a in ranked
        if a in translations and viewer.can_see(translations[a].article)
    ][:limit]
