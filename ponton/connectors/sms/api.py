"""SMS webhooks, /api/v1/channels/sms/: texts in and status callbacks, form-encoded and
signed like the phone's (X-Twilio-Signature), answered with empty TwiML (replies go out
through the REST API, by the task queue)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from ponton.connectors.sms import services
from ponton.connectors.voice import signature

TWIML = "text/xml"
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class SmsRequestSerializer(serializers.Serializer):
    """The fields Ponton reads (providers send more)."""

    MessageSid = serializers.CharField()
    From = serializers.CharField(required=False)
    To = serializers.CharField(required=False)
    Body = serializers.CharField(required=False)
    NumMedia = serializers.IntegerField(required=False)
    MediaUrl0 = serializers.URLField(required=False)
    MediaContentType0 = serializers.CharField(required=False)
    MessageStatus = serializers.CharField(required=False)
    ErrorCode = serializers.CharField(required=False)


_SCHEMA: dict[str, Any] = {
    "request": {"application/x-www-form-urlencoded": SmsRequestSerializer},
    "responses": {(200, TWIML): OpenApiTypes.STR},
}


class _Signed(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    signed = True  # X-Twilio-Signature: 403 without it


def _empty() -> HttpResponse:
    return HttpResponse(EMPTY, content_type=f"{TWIML}; charset=utf-8")


class SmsIncomingView(_Signed):
    @extend_schema(
        operation_id="sms_incoming",
        examples=[
            OpenApiExample(
                "A text",
                value={"MessageSid": "SM0123", "From": "+33612345678", "Body": "CONSEILLER"},
                request_only=True,
            )
        ],
        **_SCHEMA,
    )
    def post(self, request: Request) -> HttpResponse:
        """A text from a customer: stored once, answered by the assistant or a person."""
        signature.require_signed(request)
        services.receive(request.data)
        return _empty()


class SmsStatusView(_Signed):
    @extend_schema(operation_id="sms_status", **_SCHEMA)
    def post(self, request: Request) -> HttpResponse:
        """The provider's status callback: sent, delivered, undelivered or failed."""
        signature.require_signed(request)
        services.record_status(request.data)
        return _empty()
