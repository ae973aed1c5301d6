"""The phone's API routes, under /api/v1/voice/ (names in the `api` namespace)."""

from django.urls import path

from ponton.connectors.voice import api

urlpatterns = [
    path("incoming", api.VoiceIncomingView.as_view(), name="voice-incoming"),
    path("menu/<slug:step>", api.VoiceStepView.as_view(), name="voice-step"),
    path("status", api.VoiceStatusView.as_view(), name="voice-status"),
    path("bridge/<int:callback_id>", api.VoiceBridgeView.as_view(), name="voice-bridge"),
    path("events", api.VoiceEventsView.as_view(), name="voice-events"),
    path("line", api.VoiceLineView.as_view(), name="voice-line"),
]
