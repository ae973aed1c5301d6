"""Admins register endpoints, send a test, rotate a secret, and see and replay dead letters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ponton.webhooks import services
from ponton.webhooks.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=2000,
        help_text=gettext_lazy("https://… on a public address."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "description", "active"]

    def clean_url(self) -> str:
        try:
            return services.check_url(self.cleaned_data["url"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["url"]) from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("url", "description", "active", "created_at")
    list_filter = ("active",)
    readonly_fields = ("signing_secret", "previous_secret_until", "created_by", "created_at")
    actions = ["send_test", "rotate_secret"]

    @admin.display(description=gettext_lazy("Signing secret"))
    def signing_secret(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.secret or _("Made when the endpoint is saved.")

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.update_endpoint(
                obj,
                url=data["url"],
                events=data["events"],
                description=data.get("description", ""),
                active=data.get("active", True),
            )
            return
        created = services.create_endpoint(
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            by=request.user,
        )
        obj.pk, obj.secret = created.pk, created.secret

    @admin.action(description=gettext_lazy("Send a test delivery"))
    def send_test(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            outcome = services.send_test(endpoint)
            self.message_user(
                request,
                f"{endpoint.url}: {services.outcome_text(outcome)}",
                messages.SUCCESS if outcome.ok else messages.ERROR,
            )

    @admin.action(
        description=gettext_lazy("Rotate the secret (the old one signs for 24 hours more)")
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.rotate_secret(endpoint)
        self.message_user(
            request,
            _("New secrets made: open each endpoint to copy its new secret."),
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "msg_id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event")
    search_fields = ("msg_id",)
    list_select_related = ("endpoint",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=gettext_lazy("Replay (send again under the same webhook-id)"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset.exclude(status=DeliveryStatus.PENDING):
            services.replay(delivery)
            count += 1
        self.message_user(
            request, _("%(n)s deliveries will be sent again.") % {"n": count}, messages.SUCCESS
        )
