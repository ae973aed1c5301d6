"""Ninety days of past chats with the assistant, so the insights pages have a
history to show.

Most routine questions are answered and confirmed solved; some are not and
go to a person; fraud, bereavement, anger, legal threats and intents to leave
go to a person at once; questions the help center does not cover end in "I
don't know" (a few of them in a wall of three). The advisors' work on what
was handed off is written by `service_levels.route_history`; afterwards
(`after_advisors`) some customers needed a second answer, some answered the
satisfaction surveys, and the contact-form requests of `history` get their
handoff in the journey log.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ponton.conversations.models import (
    AssistantMemory,
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
    Status,
)
from ponton.demo.history import GAP_QUERIES
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import ArticleTranslation
from ponton.knowledge.models import Status as ArticleStatus

DAYS = 90
SIGNALS = {
    "fr": [
        (HandoffReason.FRAUD_SECURITY, "Quelqu'un a piraté mon compte client"),
        (HandoffReason.FRAUD_SECURITY, "il y a des prélèvements que je ne reconnais pas"),
        (HandoffReason.SENSITIVE_SITUATION, "Mon mari est décédé, je dois résilier sa ligne"),
        (HandoffReason.EMOTION, "C'est la troisième fois que j'appelle, c'est inadmissible"),
        (HandoffReason.LEGAL, "Je vais saisir le médiateur et une association de consommateurs"),
        (HandoffReason.NEGOTIATION, "Je vais partir chez un concurrent moins cher"),
        (HandoffReason.CRITICAL_IMPACT, "Tout le standard de l'entreprise est en panne"),
    ],
    "en": [
        (HandoffReason.FRAUD_SECURITY, "Someone hacked my account"),
        (HandoffReason.EMOTION, "This is the third time I contact you, unacceptable"),
        (HandoffReason.NEGOTIATION, "I'm going to switch to a cheaper provider"),
    ],
}
REPLIES = {
    "fr": [
        "Bonjour, je m'en occupe. C'est corrigé de notre côté, vous pouvez réessayer.",
        "Bonjour, merci pour ces précisions. J'ai fait le nécessaire, tout est en ordre.",
        "Bonjour, je comprends. Je vous ai envoyé la marche à suivre par e-mail.",
    ],
    "en": [
        "Hello, I've taken care of it on our side: please try again.",
        "Hello, thanks for the details. It's sorted now.",
    ],
}
UNKNOWN = {
    "fr": "Je n'ai pas de réponse à cela dans notre centre d'aide. Vous pouvez reformuler, "
    "ou parler à une personne.",
    "en": "I don't have an answer to that in our help center. You can put it in other words, "
    "or talk to a person.",
}
FOLLOW_UP = {
    "fr": "Merci. Et pour le mois prochain, est-ce que ce sera pareil ?",
    "en": "Thanks. Will it be the same next month?",
}
SURVEYS = [
    ("csat", 0.4, ([5, 4, 3, 2, 1], [45, 30, 12, 8, 5])),
    ("nps", 0.15, (list(range(11)), [2, 1, 1, 2, 2, 4, 6, 10, 18, 24, 30])),
    ("ces", 0.15, ([7, 6, 5, 4, 3, 2, 1], [30, 30, 15, 10, 7, 5, 3])),
]


@dataclass
class _Chat:
    conversation: Conversation
    texts: list[tuple[datetime, str, str]]  # when, author, text
    events: list[JourneyEvent]
    memory: AssistantMemory


class _Writer:
    def __init__(self, rng: random.Random, customers: list[Any]) -> None:
        self.rng = rng
        self.customers = customers
        self.chats: list[_Chat] = []
        translations = ArticleTranslation.objects.filter(
            status=ArticleStatus.PUBLISHED
        ).select_related("article__category")
        self.by_lang: dict[str, list[ArticleTranslation]] = {"fr": [], "en": []}
        for t in translations.order_by("article__key"):
            self.by_lang[t.language].append(t)
        self.weights = {
            lang: [1.0 / (1 + rank) ** 0.9 for rank in range(len(items))]
            for lang, items in self.by_lang.items()
        }
        for items in self.by_lang.values():
            rng.shuffle(items)

    def chat(self, start: datetime) -> None:
        rng = self.rng
        customer = rng.choice(self.customers) if rng.random() < 0.5 else None
        lang = customer.language if customer else ("en" if rng.random() < 0.18 else "fr")
        conversation = Conversation(
            customer=customer,
            visitor_id=str(uuid.uuid4()),
            channel=ConversationChannel.CHAT,
            language=lang,
            name=customer.get_full_name() if customer else "",
            email=customer.email if customer else "",
        )
        chat = _Chat(conversation, [], [], AssistantMemory(conversation=conversation))
        session = uuid.uuid4()
        at = start

        def step(kind: str, seconds: tuple[int, int] = (5, 60), **data: Any) -> None:
            nonlocal at
            at += timedelta(seconds=rng.randint(*seconds))
            chat.events.append(
                JourneyEvent(
                    occurred_at=at,
                    kind=kind,
                    session_id=session,
                    visitor_id=conversation.visitor_id,
                    customer=customer,
                    channel="chat",
                    language=lang,
                    data={"_chat": len(self.chats), **data},
                )
            )

        def say(author: str, text: str) -> None:
            chat.texts.append((at, author, text))
            if author == Author.CUSTOMER:
                step(EventKind.MESSAGE, (0, 0), author=author)

        def hand_off(reason: str, requests: int, failed: int) -> None:
            step(
                EventKind.HANDOFF,
                reason=reason,
                by="assistant",
                person_requests=requests,
                failed_attempts=failed,
            )
            conversation.handoff_reason = reason
            conversation.handed_off_at = at
            conversation.person_requests, chat.memory.failed_attempts = requests, failed

        roll = rng.random()
        if roll < 0.08:
            reason, text = rng.choice(SIGNALS[lang])
            say(Author.CUSTOMER, text)
            hand_off(reason, 0, 0)
        elif roll < 0.15:
            say(Author.CUSTOMER, rng.choice(GAP_QUERIES[lang]))
            failures = rng.choice([1, 1, 2, 2, 3])
            for failed in range(1, failures + 1):
                step(EventKind.ASSISTANT_TURN, decision="unknown", why="out_of_scope")
                say(Author.ASSISTANT, UNKNOWN[lang])
                if failed < failures:
                    say(Author.CUSTOMER, rng.choice(GAP_QUERIES[lang]))
            chat.memory.failed_attempts = failures
            if failures == 3:
                hand_off(HandoffReason.FAILED_ATTEMPTS, 0, 3)
            elif rng.random() < 0.7:
                say(Author.CUSTOMER, "[human]")
                hand_off(HandoffReason.CUSTOMER_REQUEST, 1, failures)
        else:
            translation = rng.choices(self.by_lang[lang], weights=self.weights[lang])[0]
            question = rng.choice(translation.questions or [translation.title])
            say(Author.CUSTOMER, question)
            step(EventKind.ASSISTANT_TURN, decision="answer", article=translation.article_id)
            say(Author.ASSISTANT, translation.excerpt or translation.title)
            chat.memory.offered_articles = [translation.article_id]
            chat.memory.detected_need = {
                "article": translation.article_id,
                "title": translation.title,
                "confidence": round(rng.uniform(0.5, 0.95), 3),
            }
            outcome = rng.random()
            category = translation.article.category.slug
            solved_share = 0.3 if category in ("outages", "billing-payment") else 0.55
            if outcome < solved_share:
                step(
                    EventKind.SELFCARE_RESOLVED,
                    (20, 180),
                    article=translation.article_id,
                    how="confirmed",
                )
                conversation.resolved_at = at
                conversation.state, conversation.status = State.CLOSED, Status.SOLVED
                if rng.random() < 0.3:
                    step(
                        EventKind.SURVEY_ANSWER,
                        (60, 600),
                        survey="csat",
                        score=rng.choices([5, 4, 3, 2, 1], [50, 30, 10, 6, 4])[0],
                        resolved_by="selfcare",
                    )
            elif outcome < solved_share + 0.22:
                step(EventKind.SELFCARE_NOT_RESOLVED, (30, 200), article=translation.article_id)
                say(Author.CUSTOMER, "[human]")
                hand_off(HandoffReason.CUSTOMER_REQUEST, 1, 1)
            elif outcome < solved_share + 0.3:
                say(Author.CUSTOMER, "[human]")
                hand_off(HandoffReason.CUSTOMER_REQUEST, rng.choice([1, 1, 1, 2]), 0)
        if conversation.handed_off_at is not None:
            conversation.state = State.CLOSED  # the advisors' history is written by routing
        self.chats.append(chat)


def _day_volume(day: datetime, rng: random.Random) -> int:
    base = {0: 34, 1: 30, 2: 28, 3: 28, 4: 26, 5: 14, 6: 8}[day.weekday()]
    return int(base * rng.uniform(0.8, 1.2))


def generate(*, customers: list[Any], seed: int = 7, now: datetime | None = None) -> dict[str, int]:
    rng = random.Random(seed * 31 + 1)
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    writer = _Writer(rng, customers)
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        for _ in range(_day_volume(day, rng)):
            hour = min(22, max(6, int(rng.gauss(13, 3.5))))
            writer.chat(day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60)))
    conversations = [c.conversation for c in writer.chats]
    Conversation.objects.bulk_create(conversations, batch_size=1000)
    AssistantMemory.objects.bulk_create(
        [c.memory for c in writer.chats if c.memory.failed_attempts or c.memory.offered_articles],
        batch_size=1000,
    )
    messages = [
        Message(
            conversation=chat.conversation,
            author=author,
            author_user=chat.conversation.customer if author == Author.CUSTOMER else None,
            text=text,
        )
        for chat in writer.chats
        for _at, author, text in chat.texts
    ]
    Message.objects.bulk_create(messages, batch_size=2000)
    events = [event for chat in writer.chats for event in chat.events]
    for event in events:
        event.data["conversation"] = conversations[event.data.pop("_chat")].pk
    JourneyEvent.objects.bulk_create(events, batch_size=2000)
    # auto_now_add stamped everything today: put the history back where it happened.
    for chat in writer.chats:
        chat.conversation.created_at = chat.texts[0][0]
    Conversation.objects.bulk_update(conversations, ["created_at"], batch_size=1000)
    stamped = iter(messages)
    for chat in writer.chats:
        for at, _author, _text in chat.texts:
            next(stamped).created_at = at
    Message.objects.bulk_update(messages, ["created_at"], batch_size=2000)
    return {"chats": len(conversations)}


def after_advisors(*, seed: int = 7) -> dict[str, int]:
    """Once the advisors' history is written: the contact-form requests' handoffs in
    the journey log, a second answer for some, and the survey answers."""
    rng = random.Random(seed * 31 + 2)
    handed_off = list(
        Conversation.objects.filter(handed_off_at__isnull=False, merged_into__isnull=True)
        .exclude(handoff_reason="")
        .select_related("customer")
        .order_by("pk")
    )
    logged = set(
        JourneyEvent.objects.filter(kind=EventKind.HANDOFF).values_list(
            "data__conversation", flat=True
        )
    )
    starts = {
        e.data.get("conversation"): e
        for e in JourneyEvent.objects.filter(kind=EventKind.CONTACT_REQUEST)
    }
    events: list[JourneyEvent] = []
    messages: list[Message] = []
    times: list[datetime] = []
    second_answers = 0
    for conversation in handed_off:
        start = starts.get(conversation.pk)
        if conversation.pk not in logged and start is not None:
            events.append(
                JourneyEvent(
                    occurred_at=start.occurred_at,
                    kind=EventKind.HANDOFF,
                    session_id=start.session_id,
                    visitor_id=start.visitor_id,
                    customer=start.customer,
                    channel="web",
                    language=start.language,
                    data={
                        "conversation": conversation.pk,
                        "reason": HandoffReason.CUSTOMER_REQUEST,
                        "by": "customer",
                        "person_requests": 1,
                        "failed_attempts": 0,
                    },
                )
            )
        answered, resolved = conversation.first_response_at, conversation.resolved_at
        if answered is None or resolved is None or resolved <= answered:
            continue
        lang = conversation.language if conversation.language in REPLIES else "fr"
        if rng.random() < 0.3:  # the customer needed to explain more: a second answer
            asked = answered + (resolved - answered) * rng.uniform(0.1, 0.4)
            replied = asked + (resolved - asked) * rng.uniform(0.2, 0.8)
            messages += [
                Message(conversation=conversation, author=Author.CUSTOMER, text=FOLLOW_UP[lang]),
                Message(
                    conversation=conversation,
                    author=Author.AGENT,
                    author_user=conversation.assignee,
                    text=rng.choice(REPLIES[lang]),
                ),
            ]
            times += [asked, replied]
            second_answers += 1
        for survey, share, (scores, weights) in SURVEYS:
            if rng.random() < share:
                events.append(
                    JourneyEvent(
                        occurred_at=resolved + timedelta(hours=rng.randint(1, 20)),
                        kind=EventKind.SURVEY_ANSWER,
                        session_id=uuid.uuid4(),
                        visitor_id=conversation.visitor_id,
                        customer=conversation.customer,
                        channel="web",
                        language=conversation.language,
                        data={
                            "conversation": conversation.pk,
                            "survey": survey,
                            "score": rng.choices(scores, weights)[0],
                            "resolved_by": "person",
                        },
                    )
                )
    now = timezone.now()
    events = [e for e in events if e.occurred_at < now]  # answers still to come are not in
    created = Message.objects.bulk_create(messages, batch_size=2000)
    for message, at in zip(created, times, strict=True):
        message.created_at = at
    Message.objects.bulk_update(created, ["created_at"], batch_size=2000)
    JourneyEvent.objects.bulk_create(events, batch_size=2000)
    return {
        "second answers": second_answers,
        "survey answers": sum(e.kind == EventKind.SURVEY_ANSWER for e in events),
    }
