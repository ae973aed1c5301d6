"""SMS API routes, under /api/v1/channels/sms/ (names in the `api` namespace)."""

from django.urls import path

from ponton.connectors.sms import api

urlpatterns = [
    path("incoming", api.SmsIncomingView.as_view(), name="sms-incoming"),
    path("status", api.SmsStatusView.as_view(), name="sms-status"),
]
