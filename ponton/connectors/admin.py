from django.contrib import admin

from ponton.connectors.voice.models import AgentLine, Call


@admin.register(AgentLine)
class AgentLineAdmin(admin.ModelAdmin):
    """Where each agent takes calls: the voice menu dials the number or SIP address; phone
    systems name the agent by the extension."""

    list_display = ("user", "number", "sip", "extension")
    search_fields = ("user__username", "number", "sip", "extension")
    autocomplete_fields = ("user",)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "sid",
        "source",
        "inbound",
        "from_number",
        "agent",
        "status",
        "outcome",
        "started_at",
    )
    list_filter = ("source", "status", "outcome")
    search_fields = ("sid", "from_number", "to_number")
    raw_id_fields = ("customer", "conversation", "callback", "agent")
    readonly_fields = ("sid", "recording_url", "recording_purged_at")
