"""Web chat endpoints (public, used by the widget): DESIGN.md "Interfaces"."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.clientip import ClientAddressThrottle
from ponton.connectors.webchat import services
from ponton.conversations.access import messages_after
from ponton.conversations.models import Conversation
from ponton.conversations.serializers import MessageSerializer, message_json
from ponton.inputs import AFTER_SCHEMA, StrictSerializer, id_or_none, text_field

TOKEN_HEADER = "X-Conversation-Token"


class CustomerSerializer(StrictSerializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=150)


# What a host page may say about where the customer is: bounded, strings only.
MAX_ATTRIBUTES = 20
MAX_ATTRIBUTE_VALUE = 200


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": MAX_ATTRIBUTES,
        "additionalProperties": {"type": "string", "maxLength": MAX_ATTRIBUTE_VALUE},
    }
)
class AttributesField(serializers.DictField):
    child = serializers.CharField(max_length=MAX_ATTRIBUTE_VALUE, allow_blank=True)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            raise ValidationError("Must be an object of strings.")
        if len(data) > MAX_ATTRIBUTES:
            raise ValidationError(f"At most {MAX_ATTRIBUTES} attributes.")
        for name, value in data.items():
            if not isinstance(value, str):
                raise ValidationError({name: "Must be a string."})
        return dict(super().to_internal_value(data))


class PageSerializer(StrictSerializer):
    """Where the widget is, as the host page tells it."""

    url = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        # An address as the host page wrote it, shown to agents as context: http(s), no
        # space or control character (a pattern Python and the document's JavaScript read
        # alike). Not a stricter URL check, whose limits (a host's length) no schema can say.
        validators=[
            RegexValidator(r"^https?://[^\x00-\x20\x7f]+$", _("Enter an http or https address."))
        ],
        help_text="The page the customer is on (http or https).",
    )
    module = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The product module; articles targeted to it are offered first.",
    )
    attributes = AttributesField(
        required=False,
        help_text=f"Up to {MAX_ATTRIBUTES} more facts, strings of at most "
        f"{MAX_ATTRIBUTE_VALUE} characters.",
    )


class IdentitySerializer(StrictSerializer):
    """The signed-in customer, as the host site vouches for them."""

    customer_id = serializers.CharField(
        max_length=64, allow_blank=True, help_text="The customer's number."
    )
    hash = serializers.CharField(
        max_length=128,
        allow_blank=True,
        help_text="Hex HMAC-SHA256 of customer_id with PONTON_WIDGET_IDENTITY_SECRET.",
    )


class StartSerializer(StrictSerializer):
    text = text_field(max_length=5000)
    lang = serializers.ChoiceField(choices=["fr", "en"], required=False)
    customer = CustomerSerializer(required=False)
    client_msg_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    page = PageSerializer(required=False)
    identity = IdentitySerializer(required=False)


class ChatPostSerializer(StrictSerializer):
    text = text_field(max_length=5000, required=False)
    action = serializers.CharField(
        min_length=1, max_length=120, required=False, help_text="An offered choice's id."
    )
    client_msg_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    page = PageSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("text")) == bool(attrs.get("action")):
            raise serializers.ValidationError("Send either 'text' or 'action'.")
        return attrs


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField()
    state = serializers.CharField()
    messages = MessageSerializer(many=True)


class ChatThreadSerializer(serializers.Serializer):
    state = serializers.CharField()
    messages = MessageSerializer(many=True)


def _token(request: Request) -> str:
    """The conversation's token: without one, 401 (a wrong one is the same 404 as no conversation)."""
    token = request.headers.get(TOKEN_HEADER, "")
    if not token:
        raise NotAuthenticated(f"The {TOKEN_HEADER} header is required.")
    return token


def _thread(conversation: Conversation, after: int | None) -> dict[str, Any]:
    """The state and the messages after `after`; the services keep `state` current."""
    return {
        "state": conversation.state,
        "messages": [message_json(m) for m in messages_after(conversation, after)],
    }


def _page(data: dict[str, Any]) -> services.Page:
    page = data.get("page") or {}
    return services.Page(
        url=page.get("url", ""),
        module=page.get("module", "").strip(),
        attributes=page.get("attributes", {}),
    )


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class ChatAddressThrottle(ClientAddressThrottle):
    """Messages sent from one address, whatever the conversation."""

    scope = "chat_address"


class ChatConversationThrottle(ClientAddressThrottle):
    """Messages sent to one conversation: each runs the assistant."""

    scope = "chat_conversation"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": view.kwargs["conversation_id"]}


TOKEN_PARAMETER = OpenApiParameter(TOKEN_HEADER, str, OpenApiParameter.HEADER, required=True)


class ChatStartView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]

    @extend_schema(
        operation_id="chat_start",
        request=StartSerializer,
        responses={201: ConversationSerializer},
        examples=[
            OpenApiExample(
                "A first message",
                value={
                    "text": "Ma box ne se connecte plus depuis ce matin",
                    "lang": "fr",
                    "customer": {"email": "camille@example.com", "name": "Camille"},
                    "client_msg_id": "m-1",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """Open a conversation with the assistant (the web widget's first message)."""
        body = StartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = data.get("customer") or {}
        identity = data.get("identity")
        # A customer the host site signed for; otherwise whoever our own session says.
        identified = (
            services.identified_customer(identity["customer_id"], identity["hash"])
            if identity
            else None
        )
        try:
            conversation = services.start(
                text=data["text"],
                language=data.get("lang") or getattr(request, "LANGUAGE_CODE", "fr"),
                user=identified or request.user,
                # Only a browser that keeps our cookie has a journey to join.
                visitor_id=""
                if getattr(request._request, "visitor_is_new", True)
                else getattr(request._request, "visitor_id", ""),
                name=customer.get("name", ""),
                email=customer.get("email", ""),
                client_msg_id=data.get("client_msg_id", ""),
                page=_page(data),
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        payload = {
            "id": conversation.pk,
            "token": conversation.token,
            **_thread(conversation, None),
        }
        return Response(payload, status=status.HTTP_201_CREATED)


class ChatMessagesView(APIView):
    permission_classes = [AllowAny]
    conflicts = True  # the lifecycle's transitions: 409

    def get_throttles(self) -> list[Any]:
        """Sending is limited; reading after a push is not."""
        if self.request.method == "POST":
            return [ChatConversationThrottle(), ChatAddressThrottle()]
        return []

    @extend_schema(
        operation_id="chat_messages_list",
        parameters=[TOKEN_PARAMETER, OpenApiParameter("after", AFTER_SCHEMA, required=False)],
        responses=ChatThreadSerializer,
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        """Messages after a given id (all when absent), and the conversation's state."""
        conversation = services.access_chat(conversation_id, _token(request))
        after = request.query_params.get("after", "")
        after_id = id_or_none(after)
        if after and after_id is None:
            raise ValidationError({"after": "Must be a message id."})
        return Response(_thread(conversation, after_id))

    @extend_schema(
        operation_id="chat_messages_create",
        parameters=[TOKEN_PARAMETER],
        request=ChatPostSerializer,
        responses={201: ChatThreadSerializer},
        examples=[
            OpenApiExample(
                "A message",
                value={"text": "Toujours rien", "client_msg_id": "m-2"},
                request_only=True,
            ),
            OpenApiExample("Ask for a person", value={"action": "human"}, request_only=True),
        ],
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        """Send a message, or pick an offered choice with {"action": ID}."""
        conversation = services.access_chat(conversation_id, _token(request))
        body = ChatPostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            if data.get("action"):
                message = services.receive_action(
                    conversation,
                    action=data["action"],
                    client_msg_id=data.get("client_msg_id", ""),
                    page=_page(data),
                )
            else:
                message = services.receive_text(
                    conversation,
                    text=data["text"],
                    client_msg_id=data.get("client_msg_id", ""),
                    page=_page(data),
                )
        except services.ChoiceNotOffered as exc:
            raise ValidationError(
                {"action": f"'{exc}' is not one of the offered choices."}
            ) from exc
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(_thread(conversation, message.pk - 1), status=status.HTTP_201_CREATED)
