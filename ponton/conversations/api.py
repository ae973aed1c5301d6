"""Agent endpoints: the queue, a conversation with its context packet, replies and
notes, re-reading from a last seen id, assignment and status. Every endpoint
fetches through `access_conversation`, so out of scope is the same 404 as missing.
The writes take an `Idempotency-Key` (ponton/conversations/idempotency.py): a retry
after a timeout does not reply, note or change a status twice."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.accounts.models import Team, User
from ponton.audit.services import conversation_viewed
from ponton.conversations import access, idempotency, lifecycle
from ponton.conversations.models import Conversation, State, Status
from ponton.conversations.serializers import MessageSerializer, message_json
from ponton.inputs import AFTER_SCHEMA, StrictSerializer, id_or_none, text_field

MAX_LIMIT = 200


class IsAgent(BasePermission):
    message = "Agents, supervisors and admins only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


class ConversationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.IntegerField()
    handoff_reason = serializers.CharField()
    channel = serializers.CharField()
    language = serializers.CharField()
    customer = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    handed_off_at = serializers.DateTimeField(allow_null=True)
    first_response_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    sla_breached = serializers.BooleanField()


class ConversationDetailSerializer(ConversationSummarySerializer):
    context = serializers.DictField()  # type: ignore[assignment]  # the API name; shadows Field.context
    messages = MessageSerializer(many=True)


class ListSerializer(serializers.Serializer):
    results = ConversationSummarySerializer(many=True)


class ThreadSerializer(serializers.Serializer):
    state = serializers.CharField()
    status = serializers.CharField()
    messages = MessageSerializer(many=True)


class ReplySerializer(StrictSerializer):
    text = text_field(max_length=5000)
    internal = serializers.BooleanField(default=False, help_text="A note for colleagues only.")


class AssignSerializer(StrictSerializer):
    agent = serializers.CharField(
        required=False, allow_null=True, help_text="Username; null puts it back in the queue."
    )
    team = serializers.SlugField(required=False, help_text="Team slug: a transfer.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class StatusSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Status.choices)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _summary(conversation: Conversation) -> dict[str, Any]:
    customer = conversation.customer
    assignee = conversation.assignee
    return {
        "id": conversation.pk,
        "state": conversation.state,
        "status": conversation.status,
        "priority": conversation.priority,
        "handoff_reason": conversation.handoff_reason,
        "channel": conversation.channel,
        "language": conversation.language,
        "customer": (customer.get_full_name() or customer.username)
        if customer
        else conversation.name,
        "team": conversation.team.slug if conversation.team else None,
        "assignee": assignee.username if assignee else None,
        "created_at": conversation.created_at.isoformat(),
        "handed_off_at": _iso(conversation.handed_off_at),
        "first_response_due": _iso(conversation.first_response_due),
        "resolution_due": _iso(conversation.resolution_due),
        "sla_breached": conversation.sla_breached_at is not None,
    }


def _detail(conversation: Conversation) -> dict[str, Any]:
    return {
        **_summary(conversation),
        "context": conversation.context,
        "messages": [
            message_json(m) for m in access.messages_after(conversation, None, staff=True)
        ],
    }


def _validation(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict)


class ConversationListView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="conversations_list",
        parameters=[
            OpenApiParameter("state", str, enum=State.values, required=False),
            OpenApiParameter("status", str, enum=Status.values, required=False),
            OpenApiParameter("assignee", str, required=False, description="A username, or `me`."),
            OpenApiParameter("team", str, required=False, description="A team slug."),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, required=False
            ),
        ],
        responses=ListSerializer,
    )
    def get(self, request: Request) -> Response:
        """Conversations in the caller's scope, most urgent first (priority, then longest waiting)."""
        conversations: QuerySet[Conversation] = (
            access.visible_conversations(request.user)
            .select_related("customer", "team", "assignee")
            .order_by("priority", "handed_off_at", "created_at")
        )
        params = request.query_params
        for name, values in (("state", State.values), ("status", Status.values)):
            if name in params:
                value = params[name]
                if value not in values:
                    raise ValidationError({name: f"One of {', '.join(values)}."})
                conversations = conversations.filter(**{name: value})
        assignee = params.get("assignee", "")
        if assignee == "me":
            conversations = conversations.filter(assignee_id=request.user.pk)
        elif assignee:
            conversations = conversations.filter(assignee__username=assignee)
        if params.get("team"):
            conversations = conversations.filter(team__slug=params["team"])
        limit = params.get("limit", "50")
        if not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise ValidationError({"limit": f"A number from 1 to {MAX_LIMIT}."})
        return Response({"results": [_summary(c) for c in conversations[: int(limit)]]})


class ConversationDetailView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(operation_id="conversations_retrieve", responses=ConversationDetailSerializer)
    def get(self, request: Request, conversation_id: int) -> Response:
        """A conversation with its context packet first, then the thread (notes included)."""
        conversation = access.access_conversation(request.user, conversation_id)
        conversation_viewed(request, conversation, page="api")
        return Response(_detail(conversation))


class ConversationMessagesView(APIView):
    permission_classes = [IsAgent]
    conflicts = True  # the lifecycle's transitions: 409

    @extend_schema(
        operation_id="conversations_messages",
        parameters=[OpenApiParameter("after", AFTER_SCHEMA, required=False)],
        responses=ThreadSerializer,
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        """The thread after a last seen message id: what a page re-reads after a push."""
        conversation = access.access_conversation(request.user, conversation_id)
        after = request.query_params.get("after", "")
        after_id = id_or_none(after)
        if after and after_id is None:
            raise ValidationError({"after": "A message id."})
        messages = list(access.messages_after(conversation, after_id, staff=True))
        # A view of the customer's data when it shows some: a re-read that finds nothing
        # new after a push shows none, and is not a new view.
        if messages:
            conversation_viewed(request, conversation, page="api.messages")
        return Response(
            {
                "state": conversation.state,
                "status": conversation.status,
                "messages": [message_json(m) for m in messages],
            }
        )

    @extend_schema(
        operation_id="conversations_reply",
        request=ReplySerializer,
        parameters=[idempotency.PARAMETER],
        responses={201: MessageSerializer, 422: idempotency.RESPONSE_422},
        examples=[
            OpenApiExample(
                "A reply",
                value={"text": "Bonjour, je relance votre box à distance.", "internal": False},
                request_only=True,
            ),
            OpenApiExample(
                "A note for colleagues",
                value={"text": "Client déjà rappelé hier.", "internal": True},
                request_only=True,
            ),
        ],
    )
    @idempotency.idempotent
    def post(self, request: Request, conversation_id: int) -> Response:
        """Answer the customer on their channel (the conversation becomes `with_human`),
        or with `internal`, leave a note only colleagues see."""
        conversation = access.access_conversation(request.user, conversation_id)
        body = ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            message = lifecycle.reply_as_agent(
                conversation,
                agent=request.user,
                text=body.validated_data["text"],
                internal=body.validated_data["internal"],
            )
        except DjangoValidationError as exc:
            raise _validation(exc) from exc
        return Response(message_json(message), status=status.HTTP_201_CREATED)


class AssignView(APIView):
    permission_classes = [IsAgent]
    conflicts = True

    @extend_schema(
        operation_id="conversations_assign",
        request=AssignSerializer,
        parameters=[idempotency.PARAMETER],
        responses={200: ConversationSummarySerializer, 422: idempotency.RESPONSE_422},
        examples=[
            OpenApiExample("Take it", value={"agent": "agent"}, request_only=True),
            OpenApiExample("Back to the queue", value={"agent": None}, request_only=True),
        ],
    )
    @idempotency.idempotent
    def post(self, request: Request, conversation_id: int) -> Response:
        """Assign to an agent, transfer to a team (with a note), or put back in the queue."""
        conversation = access.access_conversation(request.user, conversation_id)
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        agent = None
        if data.get("agent"):
            agent = User.objects.filter(username=data["agent"], is_active=True).first()
            if agent is None or not agent.is_agent:
                raise ValidationError({"agent": "No agent with this username."})
        team = None
        if data.get("team"):
            team = Team.objects.filter(slug=data["team"]).first()
            if team is None:
                raise ValidationError({"team": "No team with this slug."})
        try:
            lifecycle.assign(
                conversation, to=agent, team=team, by=request.user, note=data.get("note", "")
            )
        except DjangoValidationError as exc:
            raise _validation(exc) from exc
        return Response(_summary(conversation))


class StatusView(APIView):
    permission_classes = [IsAgent]
    conflicts = True

    @extend_schema(
        operation_id="conversations_status",
        request=StatusSerializer,
        parameters=[idempotency.PARAMETER],
        responses={200: ConversationSummarySerializer, 422: idempotency.RESPONSE_422},
        examples=[OpenApiExample("Solved", value={"status": "solved"}, request_only=True)],
    )
    @idempotency.idempotent
    def post(self, request: Request, conversation_id: int) -> Response:
        """Set the status: `solved` sends the customer a satisfaction survey, `closed` ends it."""
        conversation = access.access_conversation(request.user, conversation_id)
        body = StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lifecycle.set_status(conversation, status=body.validated_data["status"], by=request.user)
        return Response(_summary(conversation))
