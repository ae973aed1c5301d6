"""The supervision page: queues per team, each agent's availability and load, the
conversations that missed their service level, and (insights' own tag) how far behind
the insights' rollup is. Supervisors and admins only;
the page re-reads itself when the inbox websocket says something changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ponton.accounts.models import Availability, Role, Team, User
from ponton.accounts.permissions import supervisor_required
from ponton.conversations import routing, sla
from ponton.conversations.models import Conversation, State, Status

BREACHED_SHOWN = 50


@dataclass
class Queue:
    """One team's queue (team None: conversations no team owns yet)."""

    team: Team | None
    waiting: int = 0
    unassigned: int = 0
    with_agent: int = 0
    oldest: datetime | None = None
    at_risk: int = 0
    breached: int = 0


@dataclass
class AgentLoad:
    user: User
    present: bool
    load: int

    @property
    def full(self) -> bool:
        return self.load >= self.user.capacity


@dataclass
class Board:
    now: datetime
    queues: list[Queue]
    agents: list[AgentLoad]
    breached: list[Conversation]
    totals: dict[str, int] = field(default_factory=dict)


def board(now: datetime | None = None) -> Board:
    """Everything the page shows, in a fixed number of queries."""
    now = now or timezone.now()
    horizon = sla.at_risk_horizon(now)
    waiting = Q(state=State.WAITING_HUMAN)
    not_breached = Q(sla_breached_at__isnull=True) & ~Q(status=Status.PENDING)
    due_soon = Q(first_response_at__isnull=True, first_response_due__lt=horizon) | Q(
        resolution_due__lt=horizon
    )
    rows = (
        Conversation.objects.filter(state__in=routing.ACTIVE_STATES)
        .values("team_id")
        .annotate(
            waiting=Count("pk", filter=waiting),
            unassigned=Count("pk", filter=waiting & Q(assignee__isnull=True)),
            with_agent=Count("pk", filter=Q(state=State.WITH_HUMAN)),
            oldest=Min("handed_off_at", filter=waiting),
            at_risk=Count("pk", filter=not_breached & due_soon),
            breached=Count("pk", filter=Q(sla_breached_at__isnull=False)),
        )
    )
    figures = {row["team_id"]: row for row in rows}
    queues = []
    for team in [*Team.objects.order_by("name"), None]:
        row = figures.get(team.pk if team else None)
        if row is None and team is None:
            continue  # nothing waits outside a team: no row for it
        queue = Queue(team=team)
        if row is not None:
            for name in ("waiting", "unassigned", "with_agent", "oldest", "at_risk", "breached"):
                setattr(queue, name, row[name])
        queues.append(queue)

    staff = (
        User.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True)
        .annotate(
            active_load=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__state__in=routing.ACTIVE_STATES),
            )
        )
        .prefetch_related("teams")
        .order_by("first_name", "last_name", "username")
    )
    agents = [AgentLoad(u, routing.is_present(u, now), u.active_load) for u in staff]
    breached = list(
        Conversation.objects.filter(sla_breached_at__isnull=False, state__in=routing.ACTIVE_STATES)
        .select_related("team", "assignee", "customer")
        .order_by("sla_breached_at", "pk")[:BREACHED_SHOWN]
    )
    totals = {
        "waiting": sum(q.waiting for q in queues),
        "present": sum(1 for a in agents if a.present),
        "away": sum(1 for a in agents if a.user.availability == Availability.AWAY),
        "at_risk": sum(q.at_risk for q in queues),
        "breached": sum(q.breached for q in queues),
    }
    return Board(
        now=now,
        queues=queues,
        agents=agents,
        breached=breached,
        totals=totals,
    )


@supervisor_required
def board_view(request: HttpRequest) -> HttpResponse:
    return render(request, "conversations/supervision.html", {"board": board()})
