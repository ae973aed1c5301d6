"""Routing: which team and which agent take a handoff, and why.

The order (DESIGN.md, law 6: the customer chooses):

1. the customer's referent advisor, when present and with room;
2. else the referent advisor's team;
3. else the first `RoutingRule` that matches (reason, language, segment,
   channel, category of the detected need), which names a team and maybe a
   skill;
4. else the default team (setting `PONTON_DEFAULT_TEAM`), else no team:
   every agent sees it.

Within a team the conversation goes to a present agent (online, seen within
the presence timeout) with room under their capacity, who serves the
conversation's language and has the required skill: the one given a
conversation longest ago first (round-robin). Nobody suitable: it waits in the
team's queue and is offered when an agent comes online or has room.

Capacity is counted from the conversations assigned to an agent that wait
for or are with a person. Two handoffs at once must not both take an agent's
last slot: an agent's row is locked (`select_for_update`) before their load
is counted, and a row another handoff holds is skipped (`skip_locked`); the
conversation then goes to the next agent or waits to be offered.

Every decision is explained in words for the agent (`context["routing"]`,
and an internal note).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import STAFF_ROLES, Availability, Skill, Team, User
from ponton.conversations import realtime
from ponton.conversations.events import record_conversation_event
from ponton.conversations.memory import recall
from ponton.conversations.models import (
    Author,
    Conversation,
    HandoffReason,
    Message,
    RoutingRule,
    State,
)
from ponton.conversations.presence import PRESENCE_TIMEOUT
from ponton.journeys.models import EventKind
from ponton.knowledge.models import Article
from ponton.tasks.services import enqueue
from ponton.webhooks import payloads
from ponton.webhooks.services import emit

ACTIVE_STATES = (State.WAITING_HUMAN, State.WITH_HUMAN)
# Signals that make a conversation more urgent than its handoff reason says.
SENSITIVE_SIGNALS = {"bereavement", "vulnerability", "fraud_security", "critical_outage"}
# Handoff reasons that put a conversation at the front of the queue, or near it.
URGENT_REASONS = {
    HandoffReason.FRAUD_SECURITY,
    HandoffReason.CRITICAL_IMPACT,
    HandoffReason.SENSITIVE_SITUATION,
}
HIGH_REASONS = {HandoffReason.LEGAL, HandoffReason.EMOTION, HandoffReason.REPEAT_CONTACT}
# How many waiting conversations one offer looks through for an agent.
OFFER_LOOKAHEAD = 50


@dataclass(frozen=True)
class RoutingDecision:
    """Where a conversation goes: a team (None: every agent), maybe an agent, and why."""

    team: Team | None
    agent: User | None
    skill: Skill | None
    why: str
    rule: RoutingRule | None = None

    def as_context(self) -> dict[str, Any]:
        return {
            "team": self.team.slug if self.team else None,
            "team_id": self.team.pk if self.team else None,
            "agent": self.agent.username if self.agent else None,
            "agent_id": self.agent.pk if self.agent else None,
            "skill": self.skill.code if self.skill else None,
            "rule": self.rule.pk if self.rule else None,
            "why": self.why,
        }


def _display(user: User) -> str:
    return user.get_full_name() or user.username


# Presence and capacity --------------------------------------------------------------------


def is_present(user: User, now: datetime | None = None) -> bool:
    """Online and seen recently: the same test as the staffing figures shown to customers."""
    now = now or timezone.now()
    return (
        user.availability == Availability.ONLINE
        and user.last_seen_at is not None
        and user.last_seen_at >= now - PRESENCE_TIMEOUT
    )


def load_of(user: User, *, besides: Conversation | None = None) -> int:
    """How many conversations wait for or are with this agent."""
    assigned = Conversation.objects.filter(assignee=user, state__in=ACTIVE_STATES)
    if besides is not None and besides.pk:
        assigned = assigned.exclude(pk=besides.pk)
    return assigned.count()


def _claim_slot(user: User, conversation: Conversation | None) -> bool:
    """Lock the agent's row and say whether they have room for one more.

    Holds the lock until the caller's transaction ends, so a concurrent routing
    counts this assignment. An agent another transaction holds is skipped rather
    than waited for: no deadlock, no double booking."""
    locked = (
        User.objects.select_for_update(skip_locked=True)
        .filter(pk=user.pk)
        .values_list("capacity", flat=True)
        .first()
    )
    if locked is None:
        return False
    # A new statement: it sees assignments committed while we waited for the lock.
    return load_of(user, besides=conversation) < locked


def present_agents(now: datetime | None = None) -> QuerySet[User]:
    now = now or timezone.now()
    return User.objects.filter(
        role__in=STAFF_ROLES,
        is_active=True,
        availability=Availability.ONLINE,
        last_seen_at__gte=now - PRESENCE_TIMEOUT,
    )


# Priority ---------------------------------------------------------------------------------


def priority_for(reason: str) -> int:
    if reason in URGENT_REASONS:
        return 1
    if reason in HIGH_REASONS:
        return 2
    return 3


def handoff_priority(
    conversation: Conversation, reason: str, signals: list[dict[str, Any]] | None = None
) -> int:
    """The reason's priority, one step higher for a customer with accessibility needs
    or when a sensitive signal came with the handoff (1 urgent … 4 low)."""
    priority = priority_for(reason)
    profile = _profile(conversation)
    kinds = {str(signal.get("kind")) for signal in signals or []}
    if (profile is not None and profile.accessibility_needs.strip()) or kinds & SENSITIVE_SIGNALS:
        priority -= 1
    return max(1, priority)


# The decision -----------------------------------------------------------------------------


def _profile(conversation: Conversation) -> Any:
    customer = conversation.customer
    return getattr(customer, "profile", None) if customer is not None else None


def _referent(conversation: Conversation) -> User | None:
    profile = _profile(conversation)
    referent = getattr(profile, "referent_advisor", None) if profile is not None else None
    if referent is None or not referent.is_active or not referent.is_agent:
        return None
    return referent


def _need_category(conversation: Conversation) -> str:
    article = recall(conversation).detected_need.get("article")
    if not article:
        return ""
    slug = Article.objects.filter(pk=article).values_list("category__slug", flat=True).first()
    return slug or ""


def matching_rule(
    conversation: Conversation, *, rules: Iterable[RoutingRule] | None = None
) -> RoutingRule | None:
    """The first rule, by position, whose every set condition matches (`rules`: the
    rules already read, in order, when routing many conversations)."""
    profile = _profile(conversation)
    segment = profile.segment if profile is not None else ""
    category: str | None = None  # read only if a rule asks for it
    if rules is None:
        rules = RoutingRule.objects.select_related("team", "skill")
    for rule in rules:
        if rule.reason and rule.reason != conversation.handoff_reason:
            continue
        if rule.language and rule.language != conversation.language:
            continue
        if rule.segment and rule.segment != segment:
            continue
        if rule.channel and rule.channel != conversation.channel:
            continue
        if rule.category:
            if category is None:
                category = _need_category(conversation)
            if rule.category != category:
                continue
        return rule
    return None


def default_team() -> Team | None:
    slug = settings.PONTON_DEFAULT_TEAM
    return Team.objects.filter(slug=slug).first() if slug else None


def pick_agent(
    team: Team,
    conversation: Conversation,
    *,
    skill: Skill | None = None,
    skip: Collection[int] = (),
    now: datetime | None = None,
) -> User | None:
    """The team's next present agent with room who serves the conversation's language
    and has `skill`: round-robin, the one given a conversation longest ago first.
    Locks the chosen agent's row (call inside the transaction that assigns)."""
    candidates = (
        present_agents(now)
        .filter(teams=team)
        .exclude(pk__in=list(skip))
        .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
    )
    if skill is not None:
        candidates = candidates.filter(skills=skill)
    for candidate in candidates.distinct():
        if conversation.language not in candidate.served_languages:
            continue
        if _claim_slot(candidate, conversation):
            return candidate
    return None


@transaction.atomic
def route(conversation: Conversation, *, skip: Collection[int] = ()) -> RoutingDecision:
    """Decide where a handoff goes (see the module's docstring); `skip`: agents not
    to offer it to (those who let it wait). Locks the chosen agent's row: call it
    inside the transaction that writes the assignment."""
    now = timezone.now()
    with override(settings.LANGUAGE_CODE):
        referent = _referent(conversation)
        if referent is not None:
            referent_team = referent.teams.order_by("pk").first()
            if (
                referent.pk not in skip
                and is_present(referent, now)
                and _claim_slot(referent, conversation)
            ):
                why = _("%(name)s is the customer's referent advisor and is online.") % {
                    "name": _display(referent)
                }
                return RoutingDecision(referent_team, referent, None, why)
            if referent_team is not None:
                if referent.pk in skip:
                    state = _("did not take it")
                elif is_present(referent, now):
                    state = _("has no room")
                else:
                    state = _("is not online")
                where = _(
                    "The referent advisor, %(name)s, %(state)s: their team %(team)s takes it."
                ) % {"name": _display(referent), "state": state, "team": referent_team}
                return _within(referent_team, conversation, None, where, None, skip, now)

        rule = matching_rule(conversation)
        if rule is not None:
            where = _("Rule “%(rule)s”: team %(team)s") % {"rule": rule, "team": rule.team}
            if rule.skill is not None:
                where += " " + _("(skill: %(skill)s)") % {"skill": rule.skill}
            return _within(rule.team, conversation, rule.skill, where + ".", rule, skip, now)

        team = default_team()
        if team is not None:
            where = _("No rule matched: the default team, %(team)s.") % {"team": team}
            return _within(team, conversation, None, where, None, skip, now)
        return RoutingDecision(
            None,
            None,
            None,
            _("No rule matched and there is no default team: every agent sees it."),
        )


def _within(
    team: Team,
    conversation: Conversation,
    skill: Skill | None,
    where: str,
    rule: RoutingRule | None,
    skip: Collection[int],
    now: datetime,
) -> RoutingDecision:
    agent = pick_agent(team, conversation, skill=skill, skip=skip, now=now)
    if agent is not None:
        who = _("Offered to %(name)s: online, with room, next in turn.") % {"name": _display(agent)}
    else:
        who = _("Nobody in the team is online with room for it now: it waits in the team's queue.")
    return RoutingDecision(team, agent, skill, f"{where} {who}", rule)


# Writing a decision ----------------------------------------------------------------------


def dispatch(
    conversation: Conversation, decision: RoutingDecision, *, skipped: Collection[int] = ()
) -> None:
    """Write a routing decision on the conversation: its team and agent, the reason
    in the context packet, one internal note, and the assignment in the journey.
    The caller holds the transaction (and the row lock) and announces the change."""
    now = timezone.now()
    conversation.team = decision.team
    conversation.assignee = decision.agent
    conversation.assigned_at = now if decision.agent is not None else None
    conversation.context = {
        **(conversation.context or {}),
        "routing": {**decision.as_context(), "at": now.isoformat(), "skipped": list(skipped)},
    }
    conversation.save(update_fields=["team", "assignee", "assigned_at", "context", "updated_at"])
    if decision.agent is not None:
        User.objects.filter(pk=decision.agent.pk).update(last_assigned_at=now)
    Message.objects.create(
        conversation=conversation, author=Author.SYSTEM, text=decision.why, internal=True
    )
    record_conversation_event(
        conversation,
        EventKind.ASSIGNMENT,
        assignee=conversation.assignee_id,
        team=conversation.team_id,
        by=None,
        routing=decision.as_context(),
    )
    if decision.agent is not None:
        emit("conversation.assigned", payloads.conversation(conversation))


def schedule_reroute(conversation: Conversation, *, delay: timedelta | None = None) -> None:
    """After commit: if the agent it was offered to has not taken it in time, try the next."""
    if conversation.assignee_id is None:
        return
    pk = conversation.pk
    wait = delay if delay is not None else timedelta(seconds=settings.PONTON_REROUTE_SECONDS)
    transaction.on_commit(
        lambda: enqueue(
            "conversations.reroute", conversation_id=pk, dedupe_key=f"reroute:{pk}", delay=wait
        )
    )


@transaction.atomic
def reroute(conversation_id: int) -> RoutingDecision | None:
    """A handoff routing gave to an agent is still waiting, unanswered, after the
    timeout: offer it to the next agent (never the one who let it wait), or else to
    the whole team. Does nothing once someone answered or assigned it by hand."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer__profile__referent_advisor", "team", "assignee")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or conversation.state != State.WAITING_HUMAN:
        return None
    routed = (conversation.context or {}).get("routing") or {}
    if conversation.assignee is None or routed.get("agent_id") != conversation.assignee_id:
        return None  # in the queue, or someone chose its agent by hand
    answered = conversation.messages.filter(author=Author.AGENT, internal=False)
    if conversation.handed_off_at is not None:
        answered = answered.filter(created_at__gte=conversation.handed_off_at)
    if answered.exists():
        return None
    timeout = timedelta(seconds=settings.PONTON_REROUTE_SECONDS)
    waited = timezone.now() - (conversation.assigned_at or timezone.now())
    if waited < timeout:  # assigned again since this was scheduled
        schedule_reroute(conversation, delay=timeout - waited)
        return None

    previous = conversation.assignee
    skipped = [*routed.get("skipped", []), previous.pk]
    decision = route(conversation, skip=skipped)
    with override(settings.LANGUAGE_CODE):
        late = _("%(name)s did not take it within %(minutes)s min.") % {
            "name": _display(previous),
            "minutes": max(1, round(timeout.total_seconds() / 60)),
        }
        if decision.agent is None:
            team = conversation.team or decision.team
            decision = RoutingDecision(
                team,
                None,
                decision.skill,
                late
                + " "
                + (
                    _("Offered to the whole team %(team)s.") % {"team": team}
                    if team is not None
                    else _("Offered to every agent.")
                ),
                decision.rule,
            )
        else:
            decision = RoutingDecision(
                decision.team,
                decision.agent,
                decision.skill,
                f"{late} {decision.why}",
                decision.rule,
            )
    before = realtime.groups_of(conversation)
    dispatch(conversation, decision, skipped=skipped)
    realtime.announce(conversation, "assignment", previous_groups=before)
    schedule_reroute(conversation)
    return decision


# Availability and waiting work --------------------------------------------------------------


@transaction.atomic
def set_availability(user: User, availability: str) -> User:
    """An agent says whether they take conversations now (online, away, offline).

    Coming online also counts as being seen, and offers them the oldest waiting
    conversations of their teams, as many as their capacity allows."""
    if availability not in Availability.values:
        raise ValidationError({"availability": _("Unknown availability.")})
    if not user.is_agent:
        raise ValidationError({"availability": _("Only staff members have an availability.")})
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(availability=availability, last_seen_at=now)
    user.availability, user.last_seen_at = availability, now
    realtime.announce_presence(user)
    if availability == Availability.ONLINE:
        offer_waiting(user)
    return user


@transaction.atomic
def offer_waiting(agent: User) -> list[Conversation]:
    """Give a present agent with room the waiting, unassigned conversations of their
    teams that they can serve: most urgent first, then the longest waiting. Holds the
    agent's row lock while it counts their load; conversations another transaction
    is routing are skipped."""
    now = timezone.now()
    fresh = User.objects.select_for_update().filter(pk=agent.pk).first()
    if fresh is None or not is_present(fresh, now):
        return []
    room = fresh.capacity - load_of(fresh)
    if room <= 0:
        return []
    skills = set(fresh.skills.values_list("code", flat=True))
    waiting = (
        Conversation.objects.select_for_update(skip_locked=True)
        .filter(
            state=State.WAITING_HUMAN,
            assignee__isnull=True,
            team__in=fresh.teams.all(),  # a subquery: no list of ids to bind
        )
        .order_by("priority", F("handed_off_at").asc(nulls_last=True), "pk")[:OFFER_LOOKAHEAD]
    )
    offered: list[Conversation] = []
    for conversation in waiting:
        routed = (conversation.context or {}).get("routing") or {}
        if conversation.language not in fresh.served_languages:
            continue
        if routed.get("skill") and routed["skill"] not in skills:
            continue
        if fresh.pk in routed.get("skipped", []):
            continue
        with override(settings.LANGUAGE_CODE):
            why = _("%(name)s is online with room: offered from the team's queue.") % {
                "name": _display(fresh)
            }
        skill = Skill.objects.filter(code=routed["skill"]).first() if routed.get("skill") else None
        before = realtime.groups_of(conversation)
        dispatch(
            conversation,
            RoutingDecision(conversation.team, fresh, skill, why),
            skipped=routed.get("skipped", []),
        )
        realtime.announce(conversation, "assignment", previous_groups=before)
        schedule_reroute(conversation)
        offered.append(conversation)
        if len(offered) >= room:
            break
    return offered


def offer_waiting_work() -> int:
    """For every present agent with room, offer waiting work (run every minute: it
    catches capacity freed by a solved conversation or a transfer)."""
    offered = 0
    for agent in present_agents().order_by(F("last_assigned_at").asc(nulls_first=True), "pk"):
        offered += len(offer_waiting(agent))
    return offered
