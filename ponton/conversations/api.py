"""Agent endpoints: the queue, a conversation with its context packet, replies."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.connectors.webchat.api import MessageSerializer, message_json
from ponton.conversations.models import Conversation, State
from ponton.conversations.services import access_conversation, reply_as_agent

MAX_LIMIT = 200


class IsAgent(BasePermission):
    message = "Agents, supervisors and admins only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


class ConversationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    priority = serializers.IntegerField()
    handoff_reason = serializers.CharField()
    channel = serializers.CharField()
    language = serializers.CharField()
    customer = serializers.CharField()
    created_at = serializers.DateTimeField()
    handed_off_at = serializers.DateTimeField(allow_null=True)


class ConversationDetailSerializer(ConversationSummarySerializer):
    context = serializers.DictField()  # type: ignore[assignment]  # the API name; shadows Field.context
    messages = MessageSerializer(many=True)


class ListSerializer(serializers.Serializer):
    results = ConversationSummarySerializer(many=True)


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


def _summary(conversation: Conversation) -> dict[str, Any]:
    customer = conversation.customer
    return {
        "id": conversation.pk,
        "state": conversation.state,
        "priority": conversation.priority,
        "handoff_reason": conversation.handoff_reason,
        "channel": conversation.channel,
        "language": conversation.language,
        "customer": (customer.get_full_name() or customer.username)
        if customer
        else conversation.name,
        "created_at": conversation.created_at.isoformat(),
        "handed_off_at": conversation.handed_off_at.isoformat()
        if conversation.handed_off_at
        else None,
    }


class ConversationListView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="conversations_list",
        parameters=[
            OpenApiParameter("state", str, enum=State.values, required=False),
            OpenApiParameter("limit", int, required=False),
        ],
        responses=ListSerializer,
    )
    def get(self, request: Request) -> Response:
        """Conversations, most urgent first (priority, then longest waiting)."""
        conversations = Conversation.objects.select_related("customer").order_by(
            "priority", "handed_off_at", "created_at"
        )
        state = request.query_params.get("state", "")
        if state:
            if state not in State.values:
                raise ValidationError({"state": f"One of {', '.join(State.values)}."})
            conversations = conversations.filter(state=state)
        limit = request.query_params.get("limit", "50")
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise ValidationError({"limit": f"A number from 1 to {MAX_LIMIT}."})
        return Response({"results": [_summary(c) for c in conversations[: int(limit)]]})


class ConversationDetailView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(operation_id="conversations_retrieve", responses=ConversationDetailSerializer)
    def get(self, request: Request, conversation_id: int) -> Response:
        """A conversation with its context packet first, then the thread."""
        conversation = access_conversation(request.user, conversation_id)
        return Response(
            {
                **_summary(conversation),
                "context": conversation.context,
                "messages": [message_json(m) for m in conversation.messages.order_by("id")],
            }
        )


class AgentReplyView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="conversations_reply",
        request=ReplySerializer,
        responses={201: MessageSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        """Answer the customer on their channel; the conversation becomes `with_human`."""
        conversation = access_conversation(request.user, conversation_id)
        body = ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            message = reply_as_agent(
                conversation, agent=request.user, text=body.validated_data["text"]
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(message_json(message), status=status.HTTP_201_CREATED)
