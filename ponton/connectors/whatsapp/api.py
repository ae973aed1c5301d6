"""WhatsApp's webhook, /api/v1/channels/whatsapp/webhook: Meta's subscription check (GET)
and its deliveries (POST, signed with the app secret)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.connectors.whatsapp import services, signature

MAX_CHALLENGE = 200

_EXAMPLE = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "102290129340398",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"phone_number_id": "106540352242922"},
                        "contacts": [{"profile": {"name": "Claire"}, "wa_id": "33612345678"}],
                        "messages": [
                            {
                                "from": "33612345678",
                                "id": "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQ",
                                "timestamp": "1741683600",
                                "type": "text",
                                "text": {"body": "Comment changer mon mot de passe ?"},
                            }
                        ],
                    },
                }
            ],
        }
    ],
}


class WhatsAppWebhookView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    signed = True  # X-Hub-Signature-256 (POST), the verify token (GET): 403 without

    @extend_schema(
        operation_id="whatsapp_verify",
        parameters=[
            OpenApiParameter("hub.mode", str, required=True),
            OpenApiParameter("hub.verify_token", str, required=True),
            OpenApiParameter("hub.challenge", str, required=True),
        ],
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> HttpResponse:
        """Meta's subscription check: the challenge echoed when the verify token is ours."""
        params = request.query_params
        challenge = params.get("hub.challenge", "")
        if not signature.verify_subscription(
            mode=params.get("hub.mode", ""), token=params.get("hub.verify_token", "")
        ) or not (0 < len(challenge) <= MAX_CHALLENGE):
            raise PermissionDenied("Wrong hub.verify_token or hub.mode.")
        return HttpResponse(challenge, content_type="text/plain; charset=utf-8")

    @extend_schema(
        operation_id="whatsapp_webhook",
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter(signature.HEADER, str, OpenApiParameter.HEADER)],
        examples=[OpenApiExample("A text message", value=_EXAMPLE, request_only=True)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        """Messages and statuses from WhatsApp, stored once each (Meta retries deliveries)."""
        raw = request.body  # the exact bytes Meta signed, read before any parsing
        if not signature.is_signed(raw, request.headers.get(signature.HEADER, "")):
            raise PermissionDenied("Invalid or missing X-Hub-Signature-256.")
        try:
            payload = json.loads(raw)
        except ValueError:
            raise ParseError("The body is not JSON.") from None
        outcomes = services.receive_payload(payload)
        return Response({"messages": [o.status for o in outcomes]})
