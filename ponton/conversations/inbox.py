"""The agent workspace: queues, one conversation with its context packet first,
and the actions on it. Each view parses, authorises (`access_conversation`),
calls one service and responds; the page's script re-reads fragments after a
websocket push, so nothing is lost when a push is."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton.accounts.models import STAFF_ROLES, Availability, Team, User
from ponton.accounts.permissions import staff_required
from ponton.conversations import access, lifecycle, routing
from ponton.conversations.models import Conversation, SavedReply, State, Status
from ponton.journeys.services import timeline
from ponton.knowledge.search import Viewer, search
from ponton.knowledge.selectors import article_url

QUEUES = ("waiting", "mine", "team", "all")
OPEN_STATES = (State.WAITING_HUMAN, State.WITH_HUMAN)
QUEUE_SIZE = 100
JOURNEY_SIZE = 25


def _queues(user: User) -> dict[str, Q]:
    """Each queue's condition within the open conversations of the agent's scope."""
    return {
        "waiting": Q(state=State.WAITING_HUMAN),
        "mine": Q(assignee=user),
        "team": Q(team__in=user.teams.all()),
        "all": Q(),
    }


def _open(user: User) -> QuerySet[Conversation]:
    return access.visible_conversations(user).filter(
        state__in=OPEN_STATES, merged_into__isnull=True
    )


def queue(user: User, name: str) -> QuerySet[Conversation]:
    """A queue in the agent's scope, most urgent first: priority, then the nearest
    service-level deadline, then the longest wait."""
    return (
        _open(user)
        .filter(_queues(user)[name])
        .select_related("customer", "team", "assignee")
        .order_by(
            "priority",
            F("first_response_due").asc(nulls_last=True),
            F("handed_off_at").asc(nulls_last=True),
            "id",
        )
    )


def queue_sizes(user: User) -> dict[str, int]:
    """How many conversations each queue holds, in one query."""
    return _open(user).aggregate(
        **{
            name: Count("pk", filter=condition) if condition else Count("pk")
            for name, condition in _queues(user).items()
        }
    )


def _queue_context(request: HttpRequest) -> dict[str, Any]:
    name = request.GET.get("queue", "waiting")
    if name not in QUEUES:
        name = "waiting"
    user: User = request.user  # type: ignore[assignment]
    sizes = queue_sizes(user)
    return {
        "availabilities": Availability.choices,
        "queue": name,
        "queues": [(q, sizes[q]) for q in QUEUES],
        "conversations": queue(user, name)[:QUEUE_SIZE],
        "now": timezone.now(),
    }


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The queues; `?fragment=1` is the part the page re-reads after a push."""
    template = "_queue.html" if request.GET.get("fragment") else "inbox.html"
    return render(request, f"conversations/inbox/{template}", _queue_context(request))


def _thread(conversation: Conversation, after: int | None = None) -> QuerySet[Any]:
    return (
        access.messages_after(conversation, after, staff=True)
        .select_related("author_user", "email")  # `email`: the email channel's record, if any
        .prefetch_related("attachments")
    )


def _suggested_articles(conversation: Conversation) -> list[dict[str, str]]:
    """Articles the customer may read that answer their last message, to link in a reply."""
    last = conversation.messages.filter(author="customer").order_by("-id").first()
    if last is None:
        return []
    hits = search(
        last.text[:300],
        lang=conversation.language,
        viewer=Viewer.for_user(conversation.customer),
        limit=4,
        snippets=False,
    )
    site = settings.SITE_URL.rstrip("/")
    return [
        {"title": hit.translation.title, "url": site + article_url(hit.translation)} for hit in hits
    ]


@staff_required
def conversation_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    after = request.GET.get("after", "")
    if after.isdigit():  # the page re-reads what came after its last message
        return render(
            request,
            "conversations/inbox/_thread.html",
            {"thread": _thread(conversation, int(after)), "conversation": conversation},
        )
    customer = conversation.customer
    context = {
        "conversation": conversation,
        "packet": conversation.context or {},
        "thread": _thread(conversation),
        "journey": list(timeline(customer).reverse()[:JOURNEY_SIZE]) if customer else [],
        "open_requests": (
            access.visible_conversations(request.user)
            .filter(customer=customer, merged_into__isnull=True)
            .exclude(pk=conversation.pk)
            .exclude(state=State.CLOSED)
            .order_by("-created_at")[:10]
            if customer
            else []
        ),
        "saved_replies": SavedReply.objects.filter(language=conversation.language),
        "suggested": _suggested_articles(conversation),
        "teams": Team.objects.order_by("name"),
        "agents": User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by(
            "first_name", "username"
        ),
        "statuses": Status.choices,
    }
    return render(request, "conversations/inbox/conversation.html", context)


def _back(conversation: Conversation) -> HttpResponse:
    return redirect("inbox:conversation", conversation_id=conversation.pk)


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for errors in exc.message_dict.values():
        for error in errors:
            messages.error(request, error)


@staff_required
@require_POST
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    try:
        lifecycle.reply_as_agent(
            conversation,
            agent=request.user,
            text=request.POST.get("text", ""),
            internal=request.POST.get("internal") == "1",
        )
    except ValidationError as exc:
        _report(request, exc)
    return _back(conversation)


@staff_required
@require_POST
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    agent_id, team_id = request.POST.get("agent", ""), request.POST.get("team", "")
    agent = User.objects.filter(pk=agent_id).first() if agent_id.isdigit() else None
    team = Team.objects.filter(pk=team_id).first() if team_id.isdigit() else None
    if request.POST.get("me"):
        agent = request.user  # type: ignore[assignment]
    try:
        lifecycle.assign(
            conversation, to=agent, team=team, by=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _report(request, exc)
    # A transfer may take the conversation out of the agent's scope: back to the inbox then.
    if not access.visible_conversations(request.user).filter(pk=conversation.pk).exists():
        messages.success(request, _("Conversation #%(id)s transferred.") % {"id": conversation.pk})
        return redirect("inbox:inbox")
    return _back(conversation)


@staff_required
@require_POST
def set_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    try:
        lifecycle.set_status(conversation, status=request.POST.get("status", ""), by=request.user)
    except ValidationError as exc:
        _report(request, exc)
    return _back(conversation)


@staff_required
@require_POST
def hand_back(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    lifecycle.hand_back(conversation, by=request.user)
    messages.success(request, _("The assistant has the conversation again."))
    return _back(conversation)


@staff_required
@require_POST
def merge(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    into_id = request.POST.get("into", "")
    if not into_id.isdigit():
        messages.error(request, _("Choose the conversation to merge into."))
        return _back(conversation)
    into = access.access_conversation(request.user, int(into_id))
    try:
        lifecycle.merge(conversation, into=into, by=request.user)
    except ValidationError as exc:
        _report(request, exc)
        return _back(conversation)
    return _back(into)


@staff_required
@require_POST
def set_availability(request: HttpRequest) -> HttpResponse:
    try:
        routing.set_availability(request.user, request.POST.get("availability", ""))  # type: ignore[arg-type]
    except ValidationError as exc:
        _report(request, exc)
    return redirect("inbox:inbox")
