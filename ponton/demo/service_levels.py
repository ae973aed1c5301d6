"""The demo company's routing rules, business calendar and service levels, and the
teams, advisors and due dates of its past handoffs, so the supervision page has
a history: most requests answered in time, some late, a few still open.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from ponton.accounts.models import Availability, Role, Skill, Team, User
from ponton.conversations import calendars, routing, sla
from ponton.conversations.models import (
    Author,
    BusinessCalendar,
    Conversation,
    HandoffReason,
    Holiday,
    Message,
    RoutingRule,
    SlaPolicy,
    State,
    Status,
)

HOURS: dict[str, Any] = {
    **{str(day): ["08:00", "20:00"] for day in range(5)},
    "5": ["09:00", "18:00"],
    "6": None,
}
# priority -> (name, first response, resolution), in business minutes.
TARGETS = {
    1: ("Urgent", 15, 4 * 60),
    2: ("Haute", 60, 8 * 60),
    3: ("Normale", 4 * 60, 24 * 60),
    4: ("Basse", 8 * 60, 3 * 12 * 60),  # three business days of twelve hours
}
# position, name, conditions, team, skill
RULES: list[tuple[int, str, dict[str, str], str, str | None]] = [
    (10, "Clients professionnels", {"segment": "business"}, "business", "bureau"),
    (20, "Fraude et sécurité", {"reason": HandoffReason.FRAUD_SECURITY}, "technical", None),
    (30, "Panne critique", {"reason": HandoffReason.CRITICAL_IMPACT}, "technical", "fibre"),
    (40, "Départ à la concurrence", {"reason": HandoffReason.NEGOTIATION}, "billing", "billing"),
    (50, "Réclamation formelle", {"reason": HandoffReason.LEGAL}, "billing", None),
    (60, "Factures et paiement", {"category": "billing-payment"}, "billing", "billing"),
    (70, "Box, wifi et pannes", {"category": "box-wifi"}, "technical", "fibre"),
    (71, "Pannes et incidents", {"category": "outages"}, "technical", "fibre"),
    (80, "Clients anglophones", {"language": "en"}, "front", None),
    (1000, "Tout le reste", {}, "front", None),
]
# The advisors' languages, capacity and availability when the demo starts.
ADVISORS = {
    "agent": (["fr"], 4, Availability.ONLINE),
    "agent2": (["fr", "en"], 4, Availability.AWAY),
    "camille": (["fr", "en"], 3, Availability.ONLINE),
    "thomas": (["en", "fr"], 4, Availability.OFFLINE),
    "supervisor": (["fr", "en"], 2, Availability.OFFLINE),
}
STILL_OPEN = 5
HISTORY_FIELDS = [
    "team_id",
    "priority",
    "handed_off_at",
    "first_response_due",
    "resolution_due",
    "assignee_id",
    "assigned_at",
    "first_response_at",
    "resolved_at",
    "status",
    "state",
    "sla_breached_at",
]  # the latest past handoffs nobody has finished yet


def easter(year: int) -> date:
    """Easter Sunday (Gregorian calendar, the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def french_public_holidays(year: int) -> list[tuple[date, str]]:
    sunday = easter(year)
    return [
        (date(year, 1, 1), "Jour de l'an"),
        (sunday + timedelta(days=1), "Lundi de Pâques"),
        (date(year, 5, 1), "Fête du travail"),
        (date(year, 5, 8), "Victoire 1945"),
        (sunday + timedelta(days=39), "Ascension"),
        (sunday + timedelta(days=50), "Lundi de Pentecôte"),
        (date(year, 7, 14), "Fête nationale"),
        (date(year, 8, 15), "Assomption"),
        (date(year, 11, 1), "Toussaint"),
        (date(year, 11, 11), "Armistice"),
        (date(year, 12, 25), "Noël"),
    ]


def set_up(*, now: datetime | None = None) -> BusinessCalendar:
    """Calendar (holidays of last, this and next year: the history reaches back),
    service levels per priority, routing rules, and the advisors' languages."""
    year = timezone.localtime(now or timezone.now()).year
    calendar = BusinessCalendar.objects.create(
        name="Service client Hirondelle", hours=HOURS, is_default=True
    )
    Holiday.objects.bulk_create(
        Holiday(calendar=calendar, date=day, name=name)
        for y in (year - 1, year, year + 1)
        for day, name in french_public_holidays(y)
    )
    SlaPolicy.objects.bulk_create(
        SlaPolicy(
            name=name,
            priority=priority,
            first_response_minutes=first,
            resolution_minutes=resolution,
            calendar=calendar,
        )
        for priority, (name, first, resolution) in TARGETS.items()
    )
    teams = {team.slug: team for team in Team.objects.all()}
    skills = {skill.code: skill for skill in Skill.objects.all()}
    RoutingRule.objects.bulk_create(
        RoutingRule(
            position=position,
            name=name,
            team=teams[team],
            skill=skills[skill] if skill else None,
            **conditions,
        )
        for position, name, conditions, team, skill in RULES
    )
    for user in User.objects.filter(username__in=ADVISORS):
        user.languages, user.capacity, _availability = ADVISORS[user.username]
        user.save(update_fields=["languages", "capacity"])
    return calendar


def advisors_start_their_day(now: datetime | None = None) -> None:
    """Some advisors are online when the demo starts (until their presence times out)."""
    now = now or timezone.now()
    for user in User.objects.filter(username__in=ADVISORS):
        availability = ADVISORS[user.username][2]
        user.availability = availability
        user.last_seen_at = now if availability != Availability.OFFLINE else None
        user.save(update_fields=["availability", "last_seen_at"])


def _members(team: Team | None, cache: dict[int, list[User]]) -> list[User]:
    if team is None:
        return []
    if team.pk not in cache:
        cache[team.pk] = list(team.members.filter(role=Role.AGENT).order_by("pk"))
    return cache[team.pk]


def route_history(rng: random.Random, *, now: datetime | None = None) -> int:
    """Give the past handoffs a team, an advisor, due dates, answer and resolution
    times (one in six late), and leave the latest few open; returns how many."""
    now = now or timezone.now()
    rules = list(RoutingRule.objects.select_related("team", "skill"))
    calendar = calendars.default_schedule()
    policies: dict[tuple[int | None, int], SlaPolicy | None] = {}
    members: dict[int, list[User]] = {}
    handled = list(
        Conversation.objects.filter(state=State.CLOSED)
        .exclude(handoff_reason="")
        .select_related("customer__profile")
        .order_by("created_at")
    )
    for conversation in handled:
        rule = routing.matching_rule(conversation, rules=rules)
        team = rule.team if rule else None
        conversation.team = team
        conversation.priority = 2 if rng.random() < 0.12 else 3
        conversation.handed_off_at = conversation.created_at
        key = (team.pk if team else None, conversation.priority)
        if key not in policies:
            policies[key] = sla.policy_for(*key)
        policy = policies[key]
        if policy is None:
            continue
        start = conversation.created_at
        first_due, resolution_due = sla.due_dates(policy, start, calendar)
        conversation.first_response_due, conversation.resolution_due = first_due, resolution_due
        late = rng.random() < 1 / 6
        answered = calendars.add_business_minutes(
            calendar,
            start,
            policy.first_response_minutes
            * (rng.uniform(1.05, 2.5) if late else rng.uniform(0.1, 0.9)),
        )
        resolved = calendars.add_business_minutes(
            calendar,
            answered,
            policy.resolution_minutes * rng.uniform(0.05, 0.6 if not late else 1.2),
        )
        crew = _members(team, members)
        conversation.assignee = rng.choice(crew) if crew else None
        conversation.assigned_at = start + timedelta(seconds=rng.randint(5, 90))
        conversation.first_response_at = answered
        conversation.resolved_at = resolved
        conversation.status = Status.CLOSED
    for conversation in handled[:-STILL_OPEN]:
        _in_the_past(conversation, now, rng)
    for index, conversation in enumerate(handled[-STILL_OPEN:]):
        conversation.resolved_at = None  # yesterday's last requests are not finished
        if index % 2:
            conversation.first_response_at = None
    for conversation in handled:
        if conversation.first_response_due is not None:
            _settle(conversation, now)
    if handled and handled[-STILL_OPEN].state == State.WITH_HUMAN:
        handled[-STILL_OPEN].status = Status.PENDING  # answered; waits for the customer
    replies = [
        Message(
            conversation=conversation,
            author=Author.AGENT,
            author_user=conversation.assignee,
            text="Bonjour, je m'occupe de votre demande."
            if conversation.language == "fr"
            else "Hello, I'm looking into your request.",
        )
        for conversation in handled
        if conversation.assignee is not None and conversation.first_response_at is not None
    ]
    # One small UPDATE each: far faster than one bulk_update of twelve CASE columns.
    for conversation in handled:
        Conversation.objects.filter(pk=conversation.pk).update(
            **{field: getattr(conversation, field) for field in HISTORY_FIELDS}
        )
    Message.objects.bulk_create(replies, batch_size=1000)
    for reply in replies:
        reply.created_at = reply.conversation.first_response_at or now
    Message.objects.bulk_update(replies, ["created_at"], batch_size=1000)
    return len(handled)


def _in_the_past(conversation: Conversation, now: datetime, rng: random.Random) -> None:
    """A request finished in the history was answered and resolved before now."""
    answered, resolved = conversation.first_response_at, conversation.resolved_at
    if answered is None or resolved is None:
        return
    if answered >= now:
        answered = conversation.created_at + (now - conversation.created_at) * rng.uniform(0.1, 0.5)
    if resolved >= now or resolved <= answered:
        resolved = answered + (now - answered) * rng.uniform(0.1, 0.9)
    conversation.first_response_at, conversation.resolved_at = answered, resolved


def _settle(conversation: Conversation, now: datetime) -> None:
    """Whatever would be answered or resolved after `now` is still open: waiting for a
    first answer, or with its advisor. A due date already past is a missed service level."""
    if conversation.first_response_at is None or conversation.first_response_at >= now:
        conversation.state, conversation.status = State.WAITING_HUMAN, Status.OPEN
        conversation.first_response_at = conversation.resolved_at = None
        conversation.assignee = conversation.assigned_at = None
    elif conversation.resolved_at is None or conversation.resolved_at >= now:
        conversation.state, conversation.status = State.WITH_HUMAN, Status.OPEN
        conversation.resolved_at = None
    first_due, answered = conversation.first_response_due, conversation.first_response_at
    missed = [
        due
        for due, done in (
            (first_due, answered),
            (conversation.resolution_due, conversation.resolved_at),
        )
        if due is not None and ((done is None and due < now) or (done is not None and done > due))
    ]
    conversation.sla_breached_at = min(missed) if missed else None
    if conversation.sla_breached_at is not None and conversation.state != State.CLOSED:
        conversation.priority = 1
