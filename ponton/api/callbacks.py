"""Callbacks for staff tools: the bookings in an agent's scope, the free slots, and a
booking made for a customer (a CRM, a shop's back office). The booking is the portal's own
(`request_callback`): the same slots, the same request in the human queue."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.accounts.models import Language, Role, User
from ponton.conversations import access
from ponton.conversations.api import IsAgent
from ponton.conversations.models import Callback, CallbackStatus
from ponton.inputs import MAX_ID, StrictSerializer
from ponton.portal import callbacks

MAX_RESULTS = 200


class CallbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    customer_id = serializers.IntegerField(allow_null=True)
    conversation_id = serializers.IntegerField(allow_null=True)
    phone = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    note = serializers.CharField()
    attempts = serializers.IntegerField()


class CallbackListSerializer(serializers.Serializer):
    results = CallbackSerializer(many=True)


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    free = serializers.IntegerField()


class SlotListSerializer(serializers.Serializer):
    results = SlotSerializer(many=True)


class BookSerializer(StrictSerializer):
    customer_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    starts_at = serializers.DateTimeField(help_text="The start of a slot from /callbacks/slots.")
    phone = serializers.CharField(max_length=40)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.values, required=False)


def callback_json(callback: Callback) -> dict[str, Any]:
    return {
        "id": callback.pk,
        "status": callback.status,
        "customer_id": callback.customer_id,
        "conversation_id": callback.conversation_id,
        "phone": callback.phone,
        "starts_at": callback.starts_at.isoformat(),
        "ends_at": (callback.starts_at + callbacks.SLOT).isoformat(),
        "note": callback.note,
        "attempts": callback.attempts,
    }


class CallbacksView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="callbacks_list",
        parameters=[
            OpenApiParameter("status", str, enum=CallbackStatus.values, required=False),
        ],
        responses={200: CallbackListSerializer},
    )
    def get(self, request: Request) -> Response:
        """Callbacks of the requests the caller may work, by slot (200 at most)."""
        found = Callback.objects.filter(
            conversation__in=access.visible_conversations(request.user)
        ).order_by("starts_at", "pk")
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in CallbackStatus.values:
                raise ValidationError({"status": ["Not a callback status."]})
            found = found.filter(status=wanted)
        return Response({"results": [callback_json(c) for c in found[:MAX_RESULTS]]})

    @extend_schema(
        operation_id="callbacks_create",
        request=BookSerializer,
        responses={201: CallbackSerializer},
        examples=[
            OpenApiExample(
                "Booked from a CRM",
                value={
                    "customer_id": 12,
                    "starts_at": "2026-03-03T10:00:00+01:00",
                    "phone": "+33 6 12 34 56 78",
                    "note": "Question sur la facture de février",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """Book a call back for a customer in a free slot: it opens a phone request in the
        human queue, as the customer's own booking does."""
        body = BookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = User.objects.filter(pk=data["customer_id"], role=Role.CUSTOMER).first()
        if customer is None:
            raise ValidationError({"customer_id": ["No customer has this id."]})
        callback = callbacks.request_callback(
            customer,
            starts_at=data["starts_at"],
            phone=data["phone"],
            note=data.get("note", ""),
            language=data.get("language", customer.language),
        )
        return Response(callback_json(callback), status=status.HTTP_201_CREATED)


class SlotsView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(operation_id="callbacks_slots", responses={200: SlotListSerializer})
    def get(self, request: Request) -> Response:
        """The half-hour slots with room left over the next five business days."""
        return Response(
            {
                "results": [
                    {
                        "starts_at": s.starts_at.isoformat(),
                        "ends_at": s.ends_at.isoformat(),
                        "free": s.free,
                    }
                    for s in callbacks.callback_slots()
                ]
            }
        )
