"""WhatsApp's API routes, under /api/v1/channels/whatsapp/ (names in the `api` namespace)."""

from django.urls import path

from ponton.connectors.whatsapp import api

urlpatterns = [
    path("webhook", api.WhatsAppWebhookView.as_view(), name="whatsapp-webhook"),
]
