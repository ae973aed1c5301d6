"""The agents' workspace for incidents: supervisors declare incidents and maintenance and
post updates (two clicks from the inbox); any agent answers the conversations an incident
caused with one message, and they are solved together when it is resolved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton.accounts.permissions import staff_required, supervisor_required
from ponton.status import bulk, services
from ponton.status.models import Component, Impact, Incident, Kind, Phase

PAST_SHOWN = 20


def _report(request: HttpRequest, error: ValidationError) -> None:
    for errors in error.message_dict.values():
        for message in errors:
            messages.error(request, message)


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _when(raw: str) -> datetime | None:
    """A datetime-local field (the staff's local time)."""
    at = parse_datetime(raw.strip()) if raw.strip() else None
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    return at


def _fields(post: Any) -> services.IncidentFields:
    minutes = post.get("next_update_minutes", "")
    return services.IncidentFields(
        title_fr=post.get("title_fr", ""),
        title_en=post.get("title_en", ""),
        message_fr=post.get("message_fr", ""),
        message_en=post.get("message_en", ""),
        impact=post.get("impact", Impact.DEGRADED),
        components=post.getlist("components"),
        plans=_list(post.get("plans", "")),
        segments=_list(post.get("segments", "")),
        notify_affected=post.get("notify_affected") == "1",
        next_update_minutes=int(minutes) if minutes.isdigit() else None,
        scheduled_start=_when(post.get("scheduled_start", "")),
        scheduled_end=_when(post.get("scheduled_end", "")),
    )


@staff_required
def incidents(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "status/manage/incidents.html",
        {
            "now": now,
            "live": services.live_incidents(now),
            "past": Incident.objects.filter(resolved_at__isnull=False).order_by("-resolved_at")[
                :PAST_SHOWN
            ],
            "components": Component.objects.all(),
            "impacts": [(i.value, i.label) for i in Impact if i != Impact.MAINTENANCE],
        },
    )


@supervisor_required
@require_POST
def declare(request: HttpRequest) -> HttpResponse:
    try:
        incident = services.declare_incident(_fields(request.POST), by=request.user)
    except ValidationError as error:
        _report(request, error)
        return redirect("status_manage:incidents")
    messages.success(request, _("Incident declared: customers see it now."))
    return redirect("status_manage:incident", incident_id=incident.pk)


@supervisor_required
@require_POST
def maintenance(request: HttpRequest) -> HttpResponse:
    try:
        incident = services.schedule_maintenance(_fields(request.POST), by=request.user)
    except ValidationError as error:
        _report(request, error)
        return redirect("status_manage:incidents")
    messages.success(request, _("Maintenance announced."))
    return redirect("status_manage:incident", incident_id=incident.pk)


@supervisor_required
@require_POST
def add_component(request: HttpRequest) -> HttpResponse:
    try:
        services.add_component(
            name_fr=request.POST.get("name_fr", ""),
            name_en=request.POST.get("name_en", ""),
            keywords=request.POST.get("keywords", ""),
            modules=_list(request.POST.get("modules", "")),
        )
    except ValidationError as error:
        _report(request, error)
    return redirect("status_manage:incidents")


@staff_required
def incident(request: HttpRequest, incident_id: int) -> HttpResponse:
    item = get_object_or_404(
        Incident.objects.prefetch_related("components", "updates"), pk=incident_id
    )
    return render(
        request,
        "status/manage/incident.html",
        {
            "incident": item,
            "is_maintenance": item.kind == Kind.MAINTENANCE,
            "phases": [(p.value, p.label) for p in Phase if p not in (Phase.SCHEDULED,)],
            "conversations": bulk.open_contacts(item, request.user),
            "contacts": item.contacts.count(),
            "now": timezone.now(),
        },
    )


@supervisor_required
@require_POST
def update(request: HttpRequest, incident_id: int) -> HttpResponse:
    item = get_object_or_404(Incident, pk=incident_id)
    minutes = request.POST.get("next_update_minutes", "")
    try:
        services.post_update(
            item,
            phase=request.POST.get("phase", ""),
            message_fr=request.POST.get("message_fr", ""),
            message_en=request.POST.get("message_en", ""),
            by=request.user,
            next_update_minutes=int(minutes) if minutes.isdigit() else None,
        )
    except ValidationError as error:
        _report(request, error)
        return redirect("status_manage:incident", incident_id=item.pk)
    if item.resolved_at is not None and request.POST.get("solve_contacts") == "1":
        solved = bulk.solve_contacts(item, by=request.user)
        messages.success(request, _("%(n)s conversations about it marked solved.") % {"n": solved})
    messages.success(request, _("Update published."))
    return redirect("status_manage:incident", incident_id=item.pk)


@staff_required
@require_POST
def answer_all(request: HttpRequest, incident_id: int) -> HttpResponse:
    item = get_object_or_404(Incident, pk=incident_id)
    try:
        answered = bulk.answer_contacts(item, agent=request.user, text=request.POST.get("text", ""))
    except ValidationError as error:
        _report(request, error)
        return redirect("status_manage:incident", incident_id=item.pk)
    messages.success(request, _("%(n)s conversations answered.") % {"n": answered})
    return redirect("status_manage:incident", incident_id=item.pk)


@staff_required
@require_POST
def solve_all(request: HttpRequest, incident_id: int) -> HttpResponse:
    item = get_object_or_404(Incident, pk=incident_id)
    solved = bulk.solve_contacts(item, by=request.user)
    messages.success(request, _("%(n)s conversations about it marked solved.") % {"n": solved})
    return redirect("status_manage:incident", incident_id=item.pk)
