"""The agents' workspace: the queues on the left, the conversation in the middle,
the customer and the context packet on the right, in one server-rendered page.

Each view parses, authorises (`access_conversation`), calls one service and
responds; the page's script re-reads fragments after a websocket push, so
nothing is lost when a push is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ponton.accounts.models import STAFF_ROLES, Team, User
from ponton.accounts.permissions import staff_required
from ponton.audit.models import Action
from ponton.audit.services import conversation_viewed, record
from ponton.conversations import access, lifecycle, routing
from ponton.conversations.models import Conversation, SavedReply, Status
from ponton.journeys.services import timeline
from ponton.workspace import packet as packets
from ponton.workspace import queues, services
from ponton.workspace.models import Tag

JOURNEY_SIZE = 25
QUEUE_KEY = "ponton.queue"  # the queue an agent last chose, kept while they work


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _chosen_queue(request: HttpRequest) -> str:
    name = request.GET.get("queue") or request.session.get(QUEUE_KEY, "waiting")
    if name not in queues.QUEUES:
        name = "waiting"
    request.session[QUEUE_KEY] = name
    return name


def _list_context(request: HttpRequest, current: Conversation | None = None) -> dict[str, Any]:
    user = _user(request)
    name = _chosen_queue(request)
    sizes = queues.queue_sizes(user)
    return {
        "queue": name,
        "queues": [(q, sizes[q]) for q in queues.QUEUES],
        "rows": queues.rows(user, queues.queue(user, name), limit=queues.QUEUE_SIZE),
        "current": current,
        "open_pk": current.pk if current is not None else None,
        "now": timezone.now(),
        "agents": User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by(
            "first_name", "username"
        ),
        "statuses": Status.choices,
    }


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The queues; `?fragment=1` is the list the page re-reads after a push."""
    context = _list_context(request)
    if request.GET.get("fragment"):
        current = request.GET.get("current", "")
        context["open_pk"] = int(current) if current.isdigit() else None
        return render(request, "workspace/_list.html", context)
    return render(request, "workspace/inbox.html", context)


def _thread(conversation: Conversation, after: int | None = None) -> Any:
    return (
        access.messages_after(conversation, after, staff=True)
        .select_related("author_user", "email")  # `email`: the email channel's record, if any
        .prefetch_related("attachments", "mentions__mentioned")
    )


@staff_required
def conversation_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    after = request.GET.get("after", "")
    if after.isdigit():  # the page re-reads what came after its last message
        thread = list(_thread(conversation, int(after)))
        if thread:
            services.mark_read(request.user, conversation, up_to=thread[-1].pk)
        return render(
            request,
            "workspace/_thread.html",
            {"thread": thread, "conversation": conversation},
        )
    if request.GET.get("part") == "head":  # status, assignee or tags changed elsewhere
        return render(request, "workspace/_head.html", _head_context(conversation))
    services.mark_read(request.user, conversation)
    conversation_viewed(request, conversation, page="workspace")
    customer = conversation.customer
    context = {
        **_list_context(request, conversation),
        **_head_context(conversation),
        "packet": packets.for_people(conversation),
        "thread": _thread(conversation),
        "journey": list(timeline(customer).reverse()[:JOURNEY_SIZE]) if customer else [],
        "other_requests": (
            access.visible_conversations(request.user)
            .filter(customer=customer, merged_into__isnull=True)
            .exclude(pk=conversation.pk)
            .order_by("-created_at")[:10]
            if customer
            else []
        ),
        "saved_replies": SavedReply.objects.filter(language=conversation.language),
        "teams": Team.objects.order_by("name"),
        "all_tags": Tag.objects.all(),
    }
    return render(request, "workspace/conversation.html", context)


def _head_context(conversation: Conversation) -> dict[str, Any]:
    conversation = (
        Conversation.objects.select_related("customer", "team", "assignee")
        .prefetch_related("tags")
        .get(pk=conversation.pk)
    )
    return {"conversation": conversation, "statuses": Status.choices}


def _back(conversation: Conversation) -> HttpResponse:
    return redirect("inbox:conversation", conversation_id=conversation.pk)


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


@staff_required
@require_POST
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    text = request.POST.get("text", "")
    try:
        if request.POST.get("internal") == "1":
            note = services.add_note(conversation, agent=_user(request), text=text)
            if note.notified:
                messages.success(
                    request,
                    _("Note added; told: %(names)s.")
                    % {"names": ", ".join(_name(u) for u in note.notified)},
                )
            if note.not_notified:
                messages.warning(
                    request,
                    _("Not told (unknown, or cannot see this conversation): %(names)s.")
                    % {"names": ", ".join("@" + n for n in note.not_notified)},
                )
        else:
            lifecycle.reply_as_agent(conversation, agent=request.user, text=text)
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
        agent = _user(request)
    try:
        lifecycle.assign(
            conversation, to=agent, team=team, by=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _report(request, exc)
        return _back(conversation)
    conversation.refresh_from_db()
    if agent is not None and agent.pk == request.user.pk:
        messages.success(request, _("Conversation #%(id)s is yours.") % {"id": conversation.pk})
    else:
        where = _name(conversation.assignee) or (
            conversation.team.name if conversation.team else ""
        )
        messages.success(
            request,
            _("Conversation #%(id)s transferred to %(where)s.")
            % {"id": conversation.pk, "where": where or _("the waiting queue")},
        )
    # A transfer may take the conversation out of the agent's scope: back to the inbox then.
    if not access.visible_conversations(request.user).filter(pk=conversation.pk).exists():
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
    else:
        conversation.refresh_from_db()
        messages.success(
            request,
            _("Conversation #%(id)s: %(status)s.")
            % {"id": conversation.pk, "status": conversation.get_status_display()},
        )
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
    messages.success(
        request, _("#%(from)s merged into #%(into)s.") % {"from": conversation.pk, "into": into.pk}
    )
    return _back(into)


@staff_required
@require_POST
def add_tag(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    try:
        services.add_tag(conversation, request.POST.get("tag", ""))
    except ValidationError as exc:
        _report(request, exc)
    return _back(conversation)


@staff_required
@require_POST
def remove_tag(request: HttpRequest, conversation_id: int, slug: str) -> HttpResponse:
    conversation = access.access_conversation(request.user, conversation_id)
    tag = Tag.objects.filter(slug=slug).first()
    if tag is not None:
        services.remove_tag(conversation, tag)
    return _back(conversation)


@staff_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """The same action on the conversations ticked in the list."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    back = request.POST.get("back", "")
    back = back if back.startswith("/") and not back.startswith("//") else reverse("inbox:inbox")
    if not ids:
        messages.error(request, _("Tick at least one conversation."))
        return redirect(back)
    assignee = request.POST.get("assignee", "")
    assign_to = None
    if assignee == "me":
        assign_to = _user(request)
    elif assignee.isdigit():
        assign_to = User.objects.filter(pk=assignee, role__in=STAFF_ROLES).first()
    try:
        result = services.bulk_apply(
            request.user,
            ids,
            assign_to=assign_to,
            unassign=assignee == "nobody",
            status=request.POST.get("status", ""),
            tag=request.POST.get("tag", ""),
        )
    except ValidationError as exc:
        _report(request, exc)
        return redirect(back)
    if result.done:
        messages.success(
            request,
            ngettext("%(n)s conversation updated.", "%(n)s conversations updated.", result.done)
            % {"n": result.done},
        )
    for error in result.errors:
        messages.error(request, error)
    return redirect(back)


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    found = queues.search(_user(request), query)
    shown = {c.user.pk for c in found.customers}
    shown |= {r.conversation.customer_id for r in found.conversations if r.conversation.customer_id}
    if found.customers or found.conversations:  # one entry for the page of results
        record(
            Action.CUSTOMER_VIEWED,
            request=request,
            page="workspace.search",
            customers=sorted(shown),
            conversations=[r.pk for r in found.conversations],
        )
    context = {**_list_context(request), "results": found, "query": found.query}
    return render(request, "workspace/search.html", context)


@staff_required
@require_POST
def set_availability(request: HttpRequest) -> HttpResponse:
    try:
        routing.set_availability(request.user, request.POST.get("availability", ""))  # type: ignore[arg-type]
    except ValidationError as exc:
        _report(request, exc)
    back = request.POST.get("back", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("inbox:inbox")
