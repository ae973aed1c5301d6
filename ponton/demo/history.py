"""Ninety days of past help-center traffic for the demo, so insights have something to show.

Volumes follow a working week (more on Mondays, less on Sundays), with a
fibre outage two weeks ago. Customers search in their own words (taken from
the articles' example questions, often without accents or with a typo), read,
give feedback, and some contact a person; some searches find nothing, which
is what the gap reports are for.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge import search, text
from ponton.knowledge.models import ArticleTranslation, Feedback, Status

DAYS = 90
# Needs the knowledge base does not cover yet: they show up as gaps.
GAP_QUERIES = {
    "fr": [
        "parrainage ami code promo",
        "carte cadeau",
        "frais de résiliation ancien opérateur remboursement",
        "immeuble pas éligible fibre",
        "changer ma box pour la nouvelle",
        "abonnement disney plus",
        "numéro de TVA sur facture",
        "ligne fixe sans box",
        "appels masqués",
        "tarif étudiant",
        "box 4G pour résidence secondaire",
        "bloquer les appels publicitaires",
    ],
    "en": [
        "referral code",
        "gift card",
        "student discount",
        "landline without box",
        "block spam calls",
        "vat number on invoice",
    ],
}
CONTACT_TEXTS = {
    "fr": [
        "Bonjour, j'ai suivi l'article mais ça ne marche toujours pas.",
        "Je voudrais parler à quelqu'un de ma facture, il y a un montant que je ne comprends pas.",
        "Ma box est toujours orange après redémarrage.",
        "Pouvez-vous m'aider ? Je n'ai pas trouvé la réponse.",
        "Je souhaite résilier, pouvez-vous me rappeler ?",
    ],
    "en": [
        "Hi, I followed the article but it still does not work.",
        "Could someone call me back about my bill?",
        "I could not find the answer, can a person help?",
    ],
}


@dataclass
class _Need:
    query: str
    lang: str
    article: int | None
    translation: ArticleTranslation | None


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return (
        word[:i] + word[i + 1 :]
        if rng.random() < 0.5
        else word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    )


def _customer_wording(question: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        question = text.fold(question)
    if roll < 0.15:
        words = question.split()
        i = rng.randrange(len(words))
        words[i] = _typo(words[i], rng)
        question = " ".join(words)
    return question.rstrip(" ?!.")


class _Generator:
    def __init__(self, rng: random.Random, customers: list[Any]) -> None:
        self.rng = rng
        self.customers = customers
        self.events: list[JourneyEvent] = []
        self.feedback: list[Feedback] = []
        self.contacts: list[tuple[Conversation, str]] = []
        self.result_cache: dict[tuple[str, str], list[search.Hit]] = {}
        translations = list(
            ArticleTranslation.objects.filter(status=Status.PUBLISHED).select_related("article")
        )
        self.by_lang: dict[str, list[ArticleTranslation]] = {"fr": [], "en": []}
        for t in translations:
            self.by_lang[t.language].append(t)
        # Some needs are far more common than others (Pareto).
        self.weights = {
            lang: [1.0 / (1 + rank) ** 0.8 for rank in range(len(items))]
            for lang, items in self.by_lang.items()
        }
        for items in self.by_lang.values():
            rng.shuffle(items)

    def _results(self, query: str, lang: str) -> list[search.Hit]:
        key = (lang, query)
        if key not in self.result_cache:
            self.result_cache[key] = search.search(
                query, lang=lang, viewer=search.Viewer(), limit=10, snippets=False, fuse=False
            )
        return self.result_cache[key]

    def _need(self, lang: str, outage: bool) -> _Need:
        if self.rng.random() < 0.07:
            return _Need(self.rng.choice(GAP_QUERIES[lang]), lang, None, None)
        items = self.by_lang[lang]
        if outage and self.rng.random() < 0.5:
            candidates = [t for t in items if t.article.category.slug == "outages"] or items
            translation = self.rng.choice(candidates)
        else:
            translation = self.rng.choices(items, weights=self.weights[lang])[0]
        questions = translation.questions or [translation.title]
        return _Need(
            _customer_wording(self.rng.choice(questions), self.rng),
            lang,
            translation.article_id,
            translation,
        )

    def add(
        self,
        at: datetime,
        kind: str,
        session: uuid.UUID,
        visitor: str,
        customer: Any,
        lang: str,
        **data: Any,
    ) -> None:
        self.events.append(
            JourneyEvent(
                occurred_at=at,
                kind=kind,
                session_id=session,
                visitor_id=visitor,
                customer=customer,
                channel="web",
                language=lang,
                data=data,
            )
        )

    def session(self, start: datetime, outage: bool) -> None:
        rng = self.rng
        customer = rng.choice(self.customers) if rng.random() < 0.45 else None
        lang = customer.language if customer else ("en" if rng.random() < 0.18 else "fr")
        visitor = str(uuid.uuid4())
        session = uuid.uuid4()
        at = start

        def step(kind: str, **data: Any) -> None:
            nonlocal at
            at += timedelta(seconds=rng.randint(8, 150))
            self.add(at, kind, session, visitor, customer, lang, **data)

        step(EventKind.PAGE_VIEW, page="home")
        if rng.random() < 0.06:  # straight to a person, nothing tried
            self._contact(at, session, visitor, customer, lang, rng.choice(CONTACT_TEXTS[lang]))
            return
        need = self._need(lang, outage)
        read: ArticleTranslation | None = None
        if rng.random() < 0.8:
            hits = self._results(need.query, lang)
            step(EventKind.SEARCH, query=need.query, results=len(hits))
            if hits and rng.random() < 0.82:
                # Usually the right article is among the first results.
                read = (
                    need.translation
                    if need.translation and rng.random() < 0.85
                    else hits[min(len(hits) - 1, rng.choice([0, 0, 0, 1, 2]))].translation
                )
                step(
                    EventKind.SEARCH_CLICK,
                    article=read.article_id,
                    translation=read.pk,
                    title=read.title,
                    query=need.query,
                )
        elif need.translation is not None:
            step(
                EventKind.PAGE_VIEW,
                page="category",
                category=need.translation.article.category.slug,
            )
            read = need.translation
        if read is not None:
            step(
                EventKind.ARTICLE_VIEW,
                article=read.article_id,
                translation=read.pk,
                title=read.title,
            )
            right = read.article_id == need.article
            roll = rng.random()
            helpful: bool | None = None
            if roll < 0.45:
                helpful = rng.random() < (0.82 if right else 0.2)
            if helpful is not None:
                step(
                    EventKind.ARTICLE_FEEDBACK,
                    article=read.article_id,
                    translation=read.pk,
                    title=read.title,
                    helpful=helpful,
                )
                self.feedback.append(
                    Feedback(
                        translation=read, helpful=helpful, visitor_id=visitor, customer=customer
                    )
                )
                self.feedback[-1]._at = at  # type: ignore[attr-defined]
            escalate = 0.45 if helpful is False else (0.04 if helpful else (0.12 if right else 0.3))
            if rng.random() < escalate:
                self._contact(
                    at + timedelta(seconds=rng.randint(20, 300)),
                    session,
                    visitor,
                    customer,
                    lang,
                    rng.choice(CONTACT_TEXTS[lang]) if rng.random() < 0.5 else need.query,
                )
        elif rng.random() < 0.35:
            self._contact(
                at + timedelta(seconds=rng.randint(20, 200)),
                session,
                visitor,
                customer,
                lang,
                need.query,
            )

    def _contact(
        self, at: datetime, session: uuid.UUID, visitor: str, customer: Any, lang: str, message: str
    ) -> None:
        conversation = Conversation(
            customer=customer,
            visitor_id=visitor,
            channel=ConversationChannel.WEB_FORM,
            state=State.CLOSED,
            language=lang,
            handoff_reason=HandoffReason.CUSTOMER_REQUEST,
            name=customer.get_full_name() if customer else "",
            email=customer.email if customer else "visiteur@example.net",
            context={"reason": HandoffReason.CUSTOMER_REQUEST, "signals": [], "transcript": []},
        )
        self.contacts.append((conversation, message))
        self.add(
            at,
            EventKind.CONTACT_REQUEST,
            session,
            visitor,
            customer,
            lang,
            channel=ConversationChannel.WEB_FORM,
            _contact=len(self.contacts) - 1,
        )


def _day_volume(day: datetime, rng: random.Random) -> int:
    base = {0: 190, 1: 165, 2: 160, 3: 155, 4: 150, 5: 95, 6: 60}[day.weekday()]
    return int(base * rng.uniform(0.85, 1.15))


def _start_time(day: datetime, rng: random.Random) -> datetime:
    hour = min(23, max(0, int(rng.gauss(13.5, 4.0))))
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def generate(
    *, customers: list[Any], seed: int = 7, days: int = DAYS, now: datetime | None = None
) -> dict[str, int]:
    rng = random.Random(seed)
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    outage_day = today - timedelta(days=14)
    generator = _Generator(rng, customers)
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        outage = day == outage_day
        volume = _day_volume(day, rng) * (3 if outage else 1)
        for _ in range(volume):
            generator.session(_start_time(day, rng), outage)

    contact_times = {
        e.data["_contact"]: e.occurred_at for e in generator.events if "_contact" in e.data
    }
    conversations = [c for c, _ in generator.contacts]
    Conversation.objects.bulk_create(conversations, batch_size=1000)
    messages = Message.objects.bulk_create(
        [
            Message(conversation=c, author=Author.CUSTOMER, author_user=c.customer, text=m)
            for c, m in generator.contacts
        ],
        batch_size=1000,
    )
    for event in generator.events:
        index = event.data.pop("_contact", None)
        if index is not None:
            event.data["conversation"] = conversations[index].pk
    JourneyEvent.objects.bulk_create(generator.events, batch_size=2000)
    Feedback.objects.bulk_create(generator.feedback, batch_size=2000)
    # auto_now_add stamped everything today: put the history back where it happened.
    for index, (conversation, message) in enumerate(zip(conversations, messages, strict=True)):
        conversation.created_at = message.created_at = contact_times[index]
    Conversation.objects.bulk_update(conversations, ["created_at"], batch_size=1000)
    Message.objects.bulk_update(messages, ["created_at"], batch_size=1000)
    for item in generator.feedback:
        item.created_at = item._at  # type: ignore[attr-defined]
    Feedback.objects.bulk_update(generator.feedback, ["created_at"], batch_size=2000)
    return {
        "events": len(generator.events),
        "contacts": len(generator.contacts),
        "feedback": len(generator.feedback),
    }
