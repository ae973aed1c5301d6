"""The demo's status page: its components, the fibre outage of two weeks ago (the day
`history` triples the traffic) with its public updates, the contacts it caused and the
notices it sent, and a maintenance announced for the coming days."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ponton.accounts.models import CustomerProfile
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
    Status,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.text import words
from ponton.status import services
from ponton.status.models import (
    Component,
    Impact,
    Incident,
    IncidentContact,
    IncidentUpdate,
    Kind,
    Notice,
    Phase,
)

COMPONENTS = [
    ("Internet fibre", "Fibre internet", "fibre, internet, connexion, box, wifi", ["fibre"]),
    ("Télévision", "TV", "tv, télé, télévision, décodeur, chaîne, replay", ["tv"]),
    ("Réseau mobile", "Mobile network", "mobile, réseau mobile, 4g, 5g, sms, appel", ["mobile"]),
    (
        "Espace client et paiement",
        "Customer account and payment",
        "espace client, appli, site, paiement, account",
        [],
    ),
    ("Suite Bureau", "Office suite", "bureau, messagerie pro, standard, office", ["bureau"]),
]
OUTAGE_WORDS = frozenset(
    {
        "panne",
        "coupure",
        "internet",
        "connexion",
        "fibre",
        "box",
        "wifi",
        "outage",
        "down",
        "connection",
    }
)
OUTAGE_DAYS_AGO = 14
# What customers wrote in the chat during the outage (the surge), and how many did.
SURGE = 90
SURGE_TEXTS = {
    "fr": [
        "Plus d'internet depuis ce matin, c'est une panne ?",
        "ma box ne se connecte plus",
        "panne fibre ??",
        "La fibre est coupée chez moi, vous savez quand ça revient ?",
        "je n'ai plus de connexion internet",
    ],
    "en": ["My internet connection is down since this morning", "fibre outage?"],
}
# (minutes after the start, phase, French, English)
UPDATES = [
    (
        25,
        Phase.INVESTIGATING,
        "Les connexions fibre du Rhône sont coupées. Nos équipes cherchent la cause.",
        "Fibre connections in the Rhône area are down. Our teams are looking for the cause.",
    ),
    (
        80,
        Phase.IDENTIFIED,
        "Un câble a été sectionné lors de travaux de voirie. Les techniciens sont sur place.",
        "A cable was cut during road works. Technicians are on site.",
    ),
    (
        610,
        Phase.MONITORING,
        "La réparation est faite ; les connexions reviennent progressivement.",
        "The repair is done; connections are coming back gradually.",
    ),
    (
        690,
        Phase.RESOLVED,
        "Toutes les connexions sont rétablies. Redémarrez votre box si elle n'est pas revenue.",
        "All connections are back. Restart your box if it has not come back.",
    ),
]


def set_up_components() -> list[Component]:
    return [
        services.add_component(name_fr=fr, name_en=en, keywords=keywords, modules=modules)
        for fr, en, keywords, modules in COMPONENTS
    ]


def _outage(fibre: Component, start: datetime) -> Incident:
    end = start + timedelta(minutes=UPDATES[-1][0])
    incident = Incident.objects.create(
        kind=Kind.INCIDENT,
        title_fr="Panne de la fibre dans le Rhône",
        title_en="Fibre outage in the Rhône area",
        impact=Impact.MAJOR_OUTAGE,
        phase=Phase.RESOLVED,
        notify_affected=True,
        started_at=start,
        declared_at=start + timedelta(minutes=UPDATES[0][0]),
        resolved_at=end,
    )
    incident.components.set([fibre])
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(
            incident=incident,
            phase=phase,
            message_fr=fr,
            message_en=en,
            created_at=start + timedelta(minutes=minutes),
        )
        for minutes, phase, fr, en in UPDATES
    )
    return incident


def _contacts(incident: Incident, until: datetime) -> int:
    """The conversations of the outage's hours that were about it, counted as the assistant
    would have counted them."""
    assert incident.resolved_at is not None
    window = (
        Conversation.objects.filter(created_at__gte=incident.started_at, created_at__lt=until)
        .exclude(pk__in=IncidentContact.objects.filter(incident=incident).values("conversation_id"))
        .order_by("pk")
    )
    first: dict[int, str] = {}
    for conversation_id, text in (
        Message.objects.filter(conversation__in=window, author=Author.CUSTOMER)
        .order_by("conversation_id", "id")
        .values_list("conversation_id", "text")
    ):
        first.setdefault(conversation_id, text)
    about = [c for c in window if OUTAGE_WORDS & set(words(first.get(c.pk, "")))]
    IncidentContact.objects.bulk_create(
        IncidentContact(
            incident=incident, conversation=c, channel=c.channel, created_at=c.created_at
        )
        for c in about
    )
    JourneyEvent.objects.bulk_create(
        JourneyEvent(
            occurred_at=c.created_at,
            kind=EventKind.INCIDENT_CONTACT,
            visitor_id=c.visitor_id,
            customer=c.customer,
            channel=c.channel,
            language=c.language,
            data={"conversation": c.pk, "incident": incident.pk},
        )
        for c in about
    )
    return IncidentContact.objects.filter(incident=incident).count()


def _surge(incident: Incident, customers: list[Any], rng: random.Random) -> None:
    """Chats about the outage, most in its first hours: the assistant told what was known;
    a quarter still asked for a person."""
    assert incident.resolved_at is not None
    span = (incident.resolved_at - incident.declared_at).total_seconds()
    chats: list[tuple[Conversation, datetime, str, bool]] = []
    for _n in range(SURGE):
        at = incident.declared_at + timedelta(seconds=span * rng.random() ** 2)
        customer = rng.choice(customers) if customers and rng.random() < 0.6 else None
        lang = customer.language if customer else ("en" if rng.random() < 0.15 else "fr")
        person = rng.random() < 0.25
        conversation = Conversation(
            customer=customer,
            visitor_id="" if customer else f"demo-surge-{_n}",
            channel=ConversationChannel.CHAT,
            state=State.CLOSED,
            status=Status.SOLVED if person else Status.OPEN,
            language=lang,
            name=customer.get_full_name() if customer else "",
            email=customer.email if customer else "",
            handoff_reason=HandoffReason.CUSTOMER_REQUEST if person else "",
            handed_off_at=at + timedelta(minutes=2) if person else None,
            resolved_at=incident.resolved_at + timedelta(minutes=20) if person else None,
            context={"reason": HandoffReason.CUSTOMER_REQUEST, "signals": [], "transcript": []},
        )
        chats.append((conversation, at, rng.choice(SURGE_TEXTS[lang]), person))
    Conversation.objects.bulk_create([c for c, *_rest in chats])
    notice = {
        "fr": f"Nous sommes au courant : {incident.title_fr}. {UPDATES[0][2]}",
        "en": f"We know about it: {incident.title_en}. {UPDATES[0][3]}",
    }
    messages = []
    events = []
    for conversation, at, text, person in chats:
        messages += [
            Message(
                conversation=conversation,
                author=Author.CUSTOMER,
                author_user=conversation.customer,
                text=text,
            ),
            Message(
                conversation=conversation,
                author=Author.ASSISTANT,
                text=notice[conversation.language],
            ),
        ]
        steps: list[tuple[str, dict[str, Any]]] = [
            (EventKind.MESSAGE, {"author": Author.CUSTOMER}),
            (EventKind.INCIDENT_CONTACT, {"incident": incident.pk}),
            (EventKind.ASSISTANT_TURN, {"decision": "incident", "incident": incident.pk}),
        ]
        if person:
            steps.append(
                (
                    EventKind.HANDOFF,
                    {
                        "reason": HandoffReason.CUSTOMER_REQUEST,
                        "by": "customer",
                        "signals": [],
                        "person_requests": 1,
                        "failed_attempts": 0,
                    },
                )
            )
        session = uuid.uuid4()
        for offset, (kind, data) in enumerate(steps):
            events.append(
                JourneyEvent(
                    occurred_at=at + timedelta(seconds=offset * 20),
                    kind=kind,
                    session_id=session,
                    visitor_id=conversation.visitor_id,
                    customer=conversation.customer,
                    channel=ConversationChannel.CHAT,
                    language=conversation.language,
                    data={"conversation": conversation.pk, **data},
                )
            )
    Message.objects.bulk_create(messages)
    JourneyEvent.objects.bulk_create(events, batch_size=2000)
    IncidentContact.objects.bulk_create(
        IncidentContact(incident=incident, conversation=c, channel=c.channel, created_at=at)
        for c, at, _text, _person in chats
    )
    # auto_now_add stamped them today: put them back where they happened.
    for conversation, at, _text, _person in chats:
        conversation.created_at = at
    Conversation.objects.bulk_update([c for c, *_rest in chats], ["created_at"])
    stamped = iter(messages)
    for _conversation, at, _text, _person in chats:
        next(stamped).created_at = at
        next(stamped).created_at = at + timedelta(seconds=2)
    Message.objects.bulk_update(messages, ["created_at"])


def _notice_seen(incident: Incident, rng: random.Random) -> int:
    """Most visitors of the outage's hours saw the banner on their first page."""
    assert incident.resolved_at is not None
    firsts: dict[Any, JourneyEvent] = {}
    for event in JourneyEvent.objects.filter(
        occurred_at__gte=incident.declared_at, occurred_at__lt=incident.resolved_at
    ).order_by("occurred_at", "id"):
        firsts.setdefault(event.session_id, event)
    seen = [
        JourneyEvent(
            occurred_at=event.occurred_at + timedelta(seconds=1),
            kind=EventKind.INCIDENT_NOTICE_SEEN,
            session_id=event.session_id,
            visitor_id=event.visitor_id,
            customer_id=event.customer_id,
            channel=event.channel,
            language=event.language,
            data={"incident": incident.pk},
        )
        for event in firsts.values()
        if event.channel == "web" and rng.random() < 0.85
    ]
    JourneyEvent.objects.bulk_create(seen, batch_size=2000)
    return len(seen)


def _notices(incident: Incident) -> int:
    """The proactive emails of its declaration and resolution, to fibre customers."""
    updates = list(incident.updates.order_by("created_at"))
    customers = [
        (p.user.email, p.user.language)
        for p in CustomerProfile.objects.select_related("user").order_by("pk")
        if "fibre" in (p.modules or []) and p.user.email
    ]
    notices = [
        Notice(
            update=update,
            email=email,
            language=language,
            proactive=True,
            sent_at=update.created_at + timedelta(minutes=2),
        )
        for update in (updates[0], updates[-1])
        for email, language in customers
    ]
    Notice.objects.bulk_create(notices)
    return len(notices)


def generate(*, seed: int = 7, now: datetime | None = None) -> dict[str, int]:
    rng = random.Random(seed * 17 + 3)
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    fibre = Component.objects.get(slug="fibre-internet")
    start = today - timedelta(days=OUTAGE_DAYS_AGO) + timedelta(hours=7, minutes=50)
    incident = _outage(fibre, start)
    assert incident.resolved_at is not None
    _surge(
        incident,
        [
            p.user
            for p in CustomerProfile.objects.select_related("user").order_by("pk")
            if "fibre" in (p.modules or [])
        ],
        rng,
    )
    figures = {
        "incident contacts": _contacts(incident, incident.resolved_at + timedelta(hours=1)),
        "incident notices seen": _notice_seen(incident, rng),
        "incident emails": _notices(incident),
    }
    tv = Component.objects.get(slug="tv")
    maintenance_start = today + timedelta(days=3, hours=2)
    services.schedule_maintenance(
        services.IncidentFields(
            title_fr="Mise à jour des décodeurs TV",
            title_en="TV box software update",
            message_fr="Les décodeurs redémarreront une fois pendant la nuit ; la TV peut être coupée quelques minutes.",
            message_en="TV boxes will restart once during the night; TV may be off for a few minutes.",
            components=[tv],
            scheduled_start=maintenance_start,
            scheduled_end=maintenance_start + timedelta(hours=2),
        ),
        by=None,
        now=now,
    )
    return figures
