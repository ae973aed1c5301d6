"""Webhook endpoints for admins (DESIGN.md "Interfaces"): register, list, delete, test,
rotate a secret, and read and replay deliveries. The secret is shown when it is made
(creation, rotation) and never listed."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.accounts.permissions import AdminOperation
from ponton.inputs import StrictSerializer
from ponton.webhooks import services
from ponton.webhooks.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint

MAX_DELIVERIES = 100


class EndpointInSerializer(StrictSerializer):
    url = serializers.CharField(
        max_length=2000, help_text="The receiver's URL (https, or http) on a public address."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.values), min_length=1, max_length=20
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(help_text="`whsec_…`: verify deliveries with it.")


class EndpointListSerializer(serializers.Serializer):
    results = EndpointSerializer(many=True)


class RotatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    secret = serializers.CharField()
    previous_secret_until = serializers.DateTimeField(
        help_text="Until then, deliveries are signed with the old secret too."
    )


class TestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(help_text="Why it failed; never the receiver's answer.")


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    webhook_id = serializers.CharField()
    event = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.values)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()


class DeliveryListSerializer(serializers.Serializer):
    results = DeliverySerializer(many=True)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "active": endpoint.active,
        "created_at": endpoint.created_at.isoformat(),
    }


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "webhook_id": delivery.msg_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at.isoformat(),
    }


ENDPOINT_ID = OpenApiParameter("endpoint_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class EndpointsView(APIView):
    permission_classes = [AdminOperation]

    @extend_schema(operation_id="webhooks_list", responses={200: EndpointListSerializer})
    def get(self, request: Request) -> Response:
        """The registered endpoints (their secrets are shown only when made)."""
        return Response({"results": [endpoint_json(e) for e in WebhookEndpoint.objects.all()]})

    @extend_schema(
        operation_id="webhooks_create",
        request=EndpointInSerializer,
        responses={201: CreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        """Register an endpoint for some events; keep the `secret` of the answer to verify
        deliveries (Standard Webhooks). An address that is not public is refused."""
        body = EndpointInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        endpoint = services.create_endpoint(
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            by=request.user,
        )
        return Response(
            {**endpoint_json(endpoint), "secret": endpoint.secret}, status=status.HTTP_201_CREATED
        )


class EndpointView(APIView):
    permission_classes = [AdminOperation]

    @extend_schema(operation_id="webhooks_delete", parameters=[ENDPOINT_ID], responses={204: None})
    def delete(self, request: Request, endpoint_id: int) -> Response:
        """Remove an endpoint: nothing more is sent to it."""
        services.delete_endpoint(get_object_or_404(WebhookEndpoint, pk=endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TestView(APIView):
    permission_classes = [AdminOperation]

    @extend_schema(
        operation_id="webhooks_test",
        request=None,
        parameters=[ENDPOINT_ID],
        responses={200: TestResultSerializer},
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        """Send a signed `webhook.test` event now: whether it arrived, and how long it took."""
        outcome = services.send_test(get_object_or_404(WebhookEndpoint, pk=endpoint_id))
        return Response(
            {
                "ok": outcome.ok,
                "status_code": outcome.status_code,
                "duration_ms": outcome.duration_ms,
                "error": outcome.error,
            }
        )


class RotateView(APIView):
    permission_classes = [AdminOperation]

    @extend_schema(
        operation_id="webhooks_rotate_secret",
        request=None,
        parameters=[ENDPOINT_ID],
        responses={200: RotatedSerializer},
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        """A new secret; for 24 hours deliveries carry a signature with each."""
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        secret = services.rotate_secret(endpoint)
        return Response(
            {
                "id": endpoint.pk,
                "secret": secret,
                "previous_secret_until": _iso(endpoint.previous_secret_until),
            }
        )


class DeliveriesView(APIView):
    permission_classes = [AdminOperation]

    @extend_schema(
        operation_id="webhooks_deliveries",
        parameters=[
            ENDPOINT_ID,
            OpenApiParameter("status", str, enum=DeliveryStatus.values, required=False),
        ],
        responses={200: DeliveryListSerializer},
    )
    def get(self, request: Request, endpoint_id: int) -> Response:
        """The latest deliveries to an endpoint (100), dead letters with their last error."""
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        deliveries = endpoint.deliveries.all()
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in DeliveryStatus.values:
                raise serializers.ValidationError({"status": "pending, delivered or dead."})
            deliveries = deliveries.filter(status=wanted)
        return Response({"results": [delivery_json(d) for d in deliveries[:MAX_DELIVERIES]]})


class ReplayView(APIView):
    permission_classes = [AdminOperation]

    @extend_schema(
        operation_id="webhooks_replay",
        request=None,
        parameters=[
            ENDPOINT_ID,
            OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={200: DeliverySerializer},
    )
    def post(self, request: Request, endpoint_id: int, delivery_id: int) -> Response:
        """Send a delivery again (a dead letter, or one already delivered) under the same
        `webhook-id`, from a fresh retry schedule."""
        delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint_id=endpoint_id)
        return Response(delivery_json(services.replay(delivery)))
