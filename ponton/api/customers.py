"""Customers for a CRM: provision, update, find by email or phone. Agents read; supervisors
and admins write (a customer's plan and modules decide what they see)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.accounts import customers
from ponton.accounts.models import Channel, CustomerProfile, Language, Role, User
from ponton.audit.models import Action
from ponton.audit.services import record
from ponton.inputs import StrictSerializer

MAX_RESULTS = 50


class CustomersPermission(BasePermission):
    message = "Agents may read customers; supervisors and admins may also write them."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_agent if request.method in SAFE_METHODS else user.is_supervisor)


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.CharField()
    phone = serializers.CharField(help_text="E.164, or empty.")
    customer_number = serializers.CharField()
    plan = serializers.CharField()
    modules = serializers.ListField(child=serializers.CharField())
    segment = serializers.CharField()
    prefers_person = serializers.BooleanField()
    preferred_channel = serializers.CharField()
    created_at = serializers.DateTimeField()


class CustomerListSerializer(serializers.Serializer):
    results = CustomerSerializer(many=True)


class CustomerUpdateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.values, required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    customer_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    plan = serializers.SlugField(max_length=50, required=False, allow_blank=True)
    modules = serializers.ListField(
        child=serializers.SlugField(max_length=50), required=False, max_length=50
    )
    segment = serializers.SlugField(max_length=50, required=False, allow_blank=True)
    prefers_person = serializers.BooleanField(required=False)
    preferred_channel = serializers.ChoiceField(choices=Channel.values, required=False)


class CustomerCreateSerializer(CustomerUpdateSerializer):
    email = serializers.EmailField(max_length=254)


def customer_json(user: User) -> dict[str, Any]:
    profile = CustomerProfile.objects.filter(user=user).first() or CustomerProfile()
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "phone": profile.phone,
        "customer_number": profile.customer_number,
        "plan": profile.plan,
        "modules": list(profile.modules),
        "segment": profile.segment,
        "prefers_person": profile.prefers_person,
        "preferred_channel": profile.preferred_channel,
        "created_at": user.date_joined.isoformat(),
    }


class CustomersView(APIView):
    permission_classes = [CustomersPermission]
    conflicts = True  # an address already known: 409

    @extend_schema(
        operation_id="customers_find",
        parameters=[
            OpenApiParameter("email", str, required=False),
            OpenApiParameter("phone", str, required=False, description="Any usual format."),
        ],
        responses={200: CustomerListSerializer},
    )
    def get(self, request: Request) -> Response:
        """Customers with this email address and/or phone number (one of them is needed)."""
        email = request.query_params.get("email", "").strip()
        phone = request.query_params.get("phone", "").strip()
        if not (email or phone):
            raise ValidationError({"email": "Give an email or a phone number."})
        found = list(customers.find_customers(email=email, phone=phone)[:MAX_RESULTS])
        if found:  # one entry for the answer, naming everyone it shows
            ids = [c.pk for c in found]
            record(
                Action.CUSTOMER_VIEWED,
                target=("accounts.user", ids[0] if len(ids) == 1 else None),
                request=request,
                page="api.customers_find",
                customers=ids,
            )
        return Response({"results": [customer_json(c) for c in found]})

    @extend_schema(
        operation_id="customers_create",
        request=CustomerCreateSerializer,
        responses={201: CustomerSerializer},
        examples=[
            OpenApiExample(
                "From a CRM",
                value={
                    "email": "claire.martin@example.com",
                    "first_name": "Claire",
                    "last_name": "Martin",
                    "phone": "+33612345678",
                    "plan": "fibre-max",
                    "modules": ["fibre", "tv"],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """Provision a customer (no password: they sign in with a link sent by email)."""
        body = CustomerCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer = customers.provision_customer(customers.CustomerFields(**body.validated_data))
        return Response(customer_json(customer), status=status.HTTP_201_CREATED)


CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class CustomerView(APIView):
    permission_classes = [CustomersPermission]
    conflicts = True

    @extend_schema(
        operation_id="customers_read", parameters=[CUSTOMER_ID], responses={200: CustomerSerializer}
    )
    def get(self, request: Request, customer_id: int) -> Response:
        """One customer."""
        customer = _customer(customer_id)
        record(
            Action.CUSTOMER_VIEWED,
            target=customer,
            request=request,
            page="api.customers_read",
            customer=customer.pk,
        )
        return Response(customer_json(customer))

    @extend_schema(
        operation_id="customers_update",
        parameters=[CUSTOMER_ID],
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer},
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        """Change the fields given; the others stay."""
        customer = _customer(customer_id)
        body = CustomerUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(customer_json(customers.update_customer(customer, body.validated_data)))


def _customer(customer_id: int) -> User:
    return get_object_or_404(User, pk=customer_id, role=Role.CUSTOMER)
