"""Filters of the status pages: texts in the page's language, states by name."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

from ponton.status import services
from ponton.status.models import Component, Incident, IncidentUpdate, Phase

register = template.Library()


@register.filter
def live_title(incident: services.LiveIncident, lang: str) -> str:
    return incident.title(lang)


@register.filter
def live_latest(incident: services.LiveIncident, lang: str) -> str:
    return incident.latest(lang)


@register.filter
def live_components(incident: services.LiveIncident, lang: str) -> str:
    return ", ".join(incident.component_names.get(lang, ()))


@register.filter
def incident_title(incident: Incident, lang: str) -> str:
    return incident.title(lang)


@register.filter
def update_message(update: Any, lang: str) -> str:
    if isinstance(update, IncidentUpdate | services.LiveUpdate):
        return update.message(lang)
    return ""


@register.filter
def component_name(component: Component, lang: str) -> str:
    return component.name(lang)


@register.filter
def phase_label(phase: str) -> str:
    return str(Phase(phase).label)


@register.filter
def state_label(state: str) -> str:
    return services.state_label(state)


@register.filter
def uptime(value: float) -> str:
    return f"{number_format(value * 100, 2)} %"
