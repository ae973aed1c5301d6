"""The phone's HTTP endpoints: the voice menu's webhooks (TwiML, signed by the provider),
phone-system events (Bearer), and the support line for the widget (public)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.clientip import ClientAddressThrottle
from ponton.connectors.voice import calls, line, menu, signature
from ponton.connectors.voice.bridge import bridge_twiml
from ponton.conversations.api import IsAgent
from ponton.inputs import StrictSerializer

TWIML = "text/xml"


class TwimlRequestSerializer(serializers.Serializer):
    """The fields Ponton reads from a TwiML webhook (providers send more)."""

    CallSid = serializers.CharField()
    From = serializers.CharField(required=False)
    To = serializers.CharField(required=False)
    Digits = serializers.CharField(required=False)
    SpeechResult = serializers.CharField(required=False)
    RecordingUrl = serializers.URLField(required=False)
    CallStatus = serializers.CharField(required=False)
    CallDuration = serializers.IntegerField(
        min_value=0, max_value=calls.MAX_CALL_SECONDS, required=False
    )
    DialCallStatus = serializers.CharField(required=False)
    QueueResult = serializers.CharField(required=False)


def _turn(data: Any) -> menu.Turn:
    def field(name: str, limit: int = 200) -> str:
        return str(data.get(name, "") or "").strip()[:limit]

    return menu.Turn(
        call_sid=field("CallSid", 64),
        from_number=field("From", 60),
        to_number=field("To", 60),
        digits=field("Digits", 8),
        speech=field("SpeechResult", 2000),
        recording_url=field("RecordingUrl", 600),
        fields={
            k: field(k, 40) for k in ("CallStatus", "CallDuration", "DialCallStatus", "QueueResult")
        },
    )


def _xml(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, content_type=f"{TWIML}; charset=utf-8", status=status)


class _SignedWebhook(APIView):
    """A provider's webhook: form-encoded, signed (403 otherwise), answered in TwiML."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    signed = True  # X-Twilio-Signature: 403 without it

    def refused(self, request: Request) -> HttpResponse | None:
        signature.require_signed(request)
        if not str(request.data.get("CallSid", "")).strip():
            raise ValidationError({"CallSid": "This field is required."})
        return None


_SCHEMA = {
    "request": {"application/x-www-form-urlencoded": TwimlRequestSerializer},
    "examples": [
        OpenApiExample(
            "A call",
            value={
                "CallSid": "CA0123",
                "From": "+33612345678",
                "To": "+33900000000",
                "Digits": "1",
            },
            request_only=True,
        )
    ],
    "responses": {(200, TWIML): OpenApiTypes.STR},
}


class VoiceIncomingView(_SignedWebhook):
    @extend_schema(operation_id="voice_incoming", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> HttpResponse:
        """A call arrives: the greeting and the first question of the voice menu."""
        return self.refused(request) or _xml(menu.incoming(_turn(request.data)))


class VoiceStepView(_SignedWebhook):
    @extend_schema(operation_id="voice_step", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request, step: str) -> HttpResponse:
        """The caller's answer to one step of the menu (the `action` of its `<Gather>`)."""
        return self.refused(request) or _xml(menu.answer(_turn(request.data), step=step))


class VoiceStatusView(_SignedWebhook):
    @extend_schema(operation_id="voice_status", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request) -> HttpResponse:
        """The provider's status callback: a call that ended gets its record."""
        refused = self.refused(request)
        if refused is not None:
            return refused
        menu.status(_turn(request.data))
        return _xml('<?xml version="1.0" encoding="UTF-8"?><Response/>')


class VoiceBridgeView(_SignedWebhook):
    @extend_schema(operation_id="voice_bridge", **_SCHEMA)  # type: ignore[arg-type]
    def post(self, request: Request, callback_id: int) -> HttpResponse:
        """Click-to-call: the agent picked up; now dial the customer."""
        return self.refused(request) or _xml(bridge_twiml(callback_id))


class CallEventSerializer(StrictSerializer):
    event = serializers.ChoiceField(choices=list(calls.Event.ALL))
    call_id = serializers.CharField(max_length=64)
    # "from"/"to" are Python keywords: declared below.
    agent = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Username or extension."
    )
    duration = serializers.IntegerField(
        min_value=0, max_value=calls.MAX_CALL_SECONDS, required=False, help_text="Seconds."
    )
    recording_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=["inbound", "outbound"], default="inbound")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.CharField(max_length=60, required=False, allow_blank=True)
        fields["to"] = serializers.CharField(max_length=60, required=False, allow_blank=True)
        return fields


class CallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    call_id = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    customer = serializers.IntegerField(allow_null=True)
    conversation = serializers.IntegerField(allow_null=True)
    agent = serializers.CharField(allow_null=True)
    duration = serializers.IntegerField(allow_null=True)


class VoiceEventsView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="voice_events",
        request=CallEventSerializer,
        responses={200: CallSerializer},
        examples=[
            OpenApiExample(
                "The phone rings",
                value={
                    "event": "ringing",
                    "call_id": "c-1",
                    "from": "+33612345678",
                    "agent": "agent",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """A phone system's call event: `ringing` pops the caller's context on the agent's
        screen, `answered` gives them the conversation, `ended` records the call."""
        body = CallEventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            call = calls.phone_event(
                calls.PhoneEvent(
                    event=data["event"],
                    call_id=data["call_id"],
                    from_number=data.get("from", ""),
                    to_number=data.get("to", ""),
                    agent=data.get("agent", ""),
                    duration=data.get("duration"),
                    recording_url=data.get("recording_url", ""),
                    inbound=data["direction"] == "inbound",
                )
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from None
        return Response(
            {
                "id": call.pk,
                "call_id": call.sid,
                "status": call.status,
                "outcome": call.outcome,
                "customer": call.customer_id,
                "conversation": call.conversation_id,
                "agent": call.agent.username if call.agent else None,
                "duration": call.duration_seconds,
            }
        )


class LineSerializer(serializers.Serializer):
    number = serializers.CharField(allow_null=True)
    tel = serializers.CharField(allow_null=True)
    open_now = serializers.BooleanField()
    next_opening = serializers.DateTimeField(allow_null=True)
    expected_wait_minutes = serializers.IntegerField(allow_null=True)
    callback_offered = serializers.BooleanField()


class VoiceLineView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]

    @extend_schema(operation_id="voice_line", responses={200: LineSerializer})
    def get(self, request: Request) -> Response:
        """The support phone line as customers see it (all null when none is configured)."""
        support = line.support_line()
        if support is None or support.next_opening is None:
            return Response(
                {
                    "number": None,
                    "tel": None,
                    "open_now": False,
                    "next_opening": None,
                    "expected_wait_minutes": None,
                    "callback_offered": False,
                }
            )
        return Response(
            {
                "number": support.number,
                "tel": support.tel,
                "open_now": support.open_now,
                "next_opening": timezone.localtime(support.next_opening).isoformat(),
                "expected_wait_minutes": support.expected_wait_minutes,
                "callback_offered": support.nobody_available,
            }
        )
