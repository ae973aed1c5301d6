"""Status endpoints (DESIGN.md "Interfaces"): the public status, the widget's targeted
notice, and incidents declared and updated by supervisors' tools."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.clientip import ClientAddressThrottle
from ponton.inputs import MAX_ID, StrictSerializer
from ponton.status import services
from ponton.status.models import Component, Impact, Incident, Phase

LANG = OpenApiParameter("lang", str, enum=["fr", "en"], description="Texts' language.")


class IsSupervisor(BasePermission):
    message = "Supervisors and admins only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_supervisor)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "minLength": 1, "maxLength": 120},
        ]
    }
)
class ComponentRefField(serializers.CharField):
    """A component named by its id (a number) or its slug or name (a string)."""

    json_types = (int, str)


class ComponentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()


class UpdateSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    at = serializers.DateTimeField()


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    impact = serializers.CharField()
    components = ComponentSerializer(many=True)
    started_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    next_update_at = serializers.DateTimeField(allow_null=True)
    scheduled_until = serializers.DateTimeField(allow_null=True)
    updates = UpdateSerializer(many=True)


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField(
        help_text="operational, degraded, partial_outage, major_outage or maintenance"
    )
    components = ComponentSerializer(many=True)
    incidents = IncidentSerializer(many=True, help_text="Open incidents.")
    maintenance = IncidentSerializer(many=True, help_text="Maintenance announced or under way.")


class NoticeItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    impact = serializers.CharField()
    message = serializers.CharField()
    next_update = serializers.CharField()
    url = serializers.CharField()
    subscribe_url = serializers.CharField()


class NoticeSerializer(serializers.Serializer):
    crisis = serializers.BooleanField()
    incidents = NoticeItemSerializer(many=True)


class DeclareSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    lang = serializers.ChoiceField(
        choices=["fr", "en"], default="fr", help_text="Language of `title` and `message`."
    )
    title_fr = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message_fr = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    message_en = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    impact = serializers.ChoiceField(
        choices=[Impact.DEGRADED, Impact.PARTIAL_OUTAGE, Impact.MAJOR_OUTAGE]
    )
    components = serializers.ListField(
        child=ComponentRefField(max_length=120),
        min_length=1,
        help_text="Component ids or names.",
    )
    plans = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    segments = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    notify_affected = serializers.BooleanField(default=False)
    started_at = serializers.DateTimeField(required=False)
    next_update_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)


class UpdateInSerializer(StrictSerializer):
    status = serializers.ChoiceField(
        choices=[Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.MONITORING, Phase.RESOLVED]
    )
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    lang = serializers.ChoiceField(choices=["fr", "en"], default="fr")
    message_fr = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    message_en = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    next_update_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)


def _lang(request: Request) -> str:
    if "lang" in request.query_params:
        lang = request.query_params["lang"]
        if lang not in ("fr", "en"):
            raise ValidationError({"lang": "fr or en."})
        return lang
    lang = getattr(request, "LANGUAGE_CODE", "fr")
    return lang if lang in ("fr", "en") else "fr"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _live_json(
    incident: services.LiveIncident, states: dict[int, str], names: dict[int, Component], lang: str
) -> dict[str, Any]:
    return {
        "id": incident.id,
        "kind": incident.kind,
        "title": incident.title(lang),
        "status": incident.phase,
        "impact": incident.impact,
        "components": [
            {"id": c, "name": names[c].name(lang), "status": states.get(c, "operational")}
            for c in incident.component_ids
            if c in names
        ],
        "started_at": incident.started_at.isoformat(),
        "resolved_at": None,
        "next_update_at": _iso(incident.next_update_at),
        "scheduled_until": _iso(incident.scheduled_until),
        "updates": [
            {"status": u.phase, "message": u.message(lang), "at": u.at.isoformat()}
            for u in incident.updates
        ],
    }


def status_json(lang: str) -> dict[str, Any]:
    now = timezone.now()
    live = services.live_incidents(now)
    states = services.component_states(live, now)
    components = {c.pk: c for c in Component.objects.all()}
    return {
        "status": services.overall(states),
        "components": [
            {"id": c.pk, "name": c.name(lang), "status": states.get(c.pk, "operational")}
            for c in components.values()
        ],
        "incidents": [
            _live_json(i, states, components, lang) for i in live if not i.is_maintenance
        ],
        "maintenance": [_live_json(i, states, components, lang) for i in live if i.is_maintenance],
    }


def incident_json(incident: Incident, lang: str) -> dict[str, Any]:
    incident = Incident.objects.prefetch_related("components", "updates").get(pk=incident.pk)
    return {
        "id": incident.pk,
        "kind": incident.kind,
        "title": incident.title(lang),
        "status": incident.phase,
        "impact": incident.impact,
        "components": [
            {
                "id": c.pk,
                "name": c.name(lang),
                "status": incident.impact if incident.is_open else "operational",
            }
            for c in incident.components.all()
        ],
        "started_at": incident.started_at.isoformat(),
        "resolved_at": _iso(incident.resolved_at),
        "next_update_at": _iso(incident.next_update_at),
        "scheduled_until": _iso(incident.scheduled_until),
        "updates": [
            {"status": u.phase, "message": u.message(lang), "at": u.created_at.isoformat()}
            for u in incident.updates.all()
        ],
    }


def _django_errors(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


def _texts(data: dict[str, Any], name: str) -> dict[str, str]:
    """`name` in `lang`, unless the language's own field says otherwise."""
    texts = {"fr": data.get(f"{name}_fr", ""), "en": data.get(f"{name}_en", "")}
    if data.get(name) and not texts[data["lang"]]:
        texts[data["lang"]] = data[name]
    return texts


class StatusView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ClientAddressThrottle]

    @extend_schema(operation_id="status", parameters=[LANG], responses={200: StatusSerializer})
    def get(self, request: Request) -> Response:
        """Each component's state, the open incidents with their updates, and maintenance."""
        return Response(status_json(_lang(request)))


class NoticeView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]

    @extend_schema(
        operation_id="status_notice", parameters=[LANG], responses={200: NoticeSerializer}
    )
    def get(self, request: Request) -> Response:
        """The incidents the caller's pages show (targeted by plan, segment and modules for
        a signed-in customer): what the chat widget puts in its banner."""
        lang = _lang(request)
        now = timezone.now()
        with override(lang):
            shown = services.banners_for(request.user, now)
            page = reverse("status:page")
            items = [
                {
                    "id": i.id,
                    "kind": i.kind,
                    "title": i.title(lang),
                    "impact": i.impact,
                    "message": i.latest(lang),
                    "next_update": services.next_update_text(i, now),
                    "url": f"{page}#incident-{i.id}",
                    "subscribe_url": f"{reverse('status:subscribe')}?incident={i.id}",
                }
                for i in shown
            ]
        return Response(
            {"crisis": any(i.crisis for i in shown if not i.is_maintenance), "incidents": items}
        )


class IncidentsView(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(
        operation_id="incident_declare",
        request=DeclareSerializer,
        responses={201: IncidentSerializer},
        examples=[
            OpenApiExample(
                "A fibre outage",
                value={
                    "title": "Coupure fibre à Lyon",
                    "message": "Nos équipes sont sur place.",
                    "impact": "partial_outage",
                    "components": ["fibre-internet"],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """Declare an incident on some components: banners, the status page and the
        assistant carry it at once."""
        body = DeclareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        titles, texts = _texts(data, "title"), _texts(data, "message")
        fields = services.IncidentFields(
            title_fr=titles["fr"],
            title_en=titles["en"],
            message_fr=texts["fr"],
            message_en=texts["en"],
            impact=data["impact"],
            components=data["components"],
            plans=data.get("plans", []),
            segments=data.get("segments", []),
            notify_affected=data["notify_affected"],
            started_at=data.get("started_at"),
            next_update_minutes=data.get("next_update_minutes"),
        )
        try:
            incident = services.declare_incident(fields, by=request.user)
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        return Response(incident_json(incident, data["lang"]), status=status.HTTP_201_CREATED)


class IncidentUpdatesView(APIView):
    permission_classes = [IsSupervisor]
    conflicts = True  # an incident already resolved: 409

    @extend_schema(
        operation_id="incident_update",
        request=UpdateInSerializer,
        responses={201: IncidentSerializer},
        examples=[
            OpenApiExample(
                "Found",
                value={"status": "identified", "message": "Un câble a été sectionné."},
                request_only=True,
            )
        ],
        parameters=[OpenApiParameter("incident_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def post(self, request: Request, incident_id: int) -> Response:
        """Publish the next step (investigating, identified, monitoring, resolved)."""
        incident = get_object_or_404(Incident, pk=incident_id)
        body = UpdateInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        texts = _texts(data, "message")
        try:
            services.post_update(
                incident,
                phase=data["status"],
                message_fr=texts["fr"],
                message_en=texts["en"],
                by=request.user,
                next_update_minutes=data.get("next_update_minutes"),
            )
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        return Response(incident_json(incident, data["lang"]), status=status.HTTP_201_CREATED)
