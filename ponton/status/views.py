"""The public status page (no JavaScript), its Atom feed, and "notify me" subscriptions
with their signed unsubscribe links (no sign-in needed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ponton.status import history, services
from ponton.status.models import Component, Incident, IncidentUpdate, Kind

FEED_SIZE = 50


def status_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    live = services.live_incidents(now)
    states = services.component_states(live, now)
    past = history.past_incidents(now)
    return render(
        request,
        "status/page.html",
        {
            "now": now,
            "overall": services.overall(states),
            "components": [(c, states.get(c.pk, "operational")) for c in Component.objects.all()],
            "open_incidents": [i for i in live if not i.is_maintenance],
            "maintenance": [i for i in live if i.is_maintenance],
            "history": history.component_history(past, now),
            "past": [i for i in past if i.resolved_at is not None],
            "prefill_email": getattr(request.user, "email", "")
            if request.user.is_authenticated
            else "",
        },
    )


def subscribe(request: HttpRequest) -> HttpResponse:
    """GET: the form (for one incident or one component); POST: subscribe."""
    source = request.POST if request.method == "POST" else request.GET
    incident = _pick(Incident, source.get("incident", ""))
    component = _pick(Component, source.get("component", ""))
    if (incident is None) == (component is None):
        raise Http404
    context: dict[str, Any] = {
        "incident": incident,
        "component": component,
        "email": source.get("email", "")
        or (request.user.email if request.user.is_authenticated else ""),
    }
    if request.method == "POST":
        try:
            services.subscribe(
                request.POST.get("email", ""),
                incident=incident,
                component=component,
                language=get_language() or "fr",
            )
        except ValidationError as error:
            context["errors"] = [e for errors in error.message_dict.values() for e in errors]
            return render(request, "status/subscribe.html", context, status=400)
        messages.success(request, _("Done: we will email you."))
        return redirect("status:page")
    return render(request, "status/subscribe.html", context)


def _pick(model: Any, raw: str) -> Any:
    return model.objects.filter(pk=int(raw)).first() if raw.isdigit() else None


@csrf_exempt  # the signed token is the proof; mail clients' one-click unsubscribe posts here
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    target = services.read_unsubscribe(token)
    if target is None:
        return render(request, "status/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.unsubscribe(target)
        return render(request, "status/unsubscribe.html", {"done": True, "target": target})
    return render(request, "status/unsubscribe.html", {"target": target})


class StatusFeed(Feed):
    """Every public update of the last 90 days, newest first (Atom)."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return _("Service status")

    def subtitle(self) -> str:
        return _("Incidents and maintenance, as they happen.")

    def link(self) -> str:
        return reverse("status:page")

    def items(self) -> list[IncidentUpdate]:
        return list(
            IncidentUpdate.objects.select_related("incident").order_by("-created_at", "-pk")[
                :FEED_SIZE
            ]
        )

    def item_title(self, item: IncidentUpdate) -> str:
        lang = get_language() or "fr"
        kind = _("Maintenance") if item.incident.kind == Kind.MAINTENANCE else _("Incident")
        return f"{kind}: {item.incident.title(lang)} — {item.get_phase_display()}"

    def item_description(self, item: IncidentUpdate) -> str:
        return item.message(get_language() or "fr")

    def item_link(self, item: IncidentUpdate) -> str:
        return f"{reverse('status:page')}#incident-{item.incident_id}"

    def item_guid(self, item: IncidentUpdate) -> str:
        return f"{reverse('status:page')}#update-{item.pk}"

    def item_pubdate(self, item: IncidentUpdate) -> Any:
        return item.created_at

    def item_updateddate(self, item: IncidentUpdate) -> Any:
        return item.created_at


def incident_anchor(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=incident_id)
    return redirect(f"{reverse('status:page')}#incident-{incident.pk}")
