from django.contrib import admin

from ponton.journeys.models import JourneyEvent


@admin.register(JourneyEvent)
class JourneyEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "customer", "visitor_id", "channel", "language")
    list_filter = ("kind", "channel", "language")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("customer",)
