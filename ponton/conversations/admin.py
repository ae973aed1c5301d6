from django.contrib import admin

from ponton.conversations.models import (
    BusinessCalendar,
    Callback,
    Conversation,
    Holiday,
    Message,
    RoutingRule,
    SavedReply,
    SlaPolicy,
    Survey,
)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    readonly_fields = ("author", "author_user", "text", "client_msg_id", "created_at")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "state", "channel", "handoff_reason", "priority", "email", "created_at")
    list_filter = ("state", "channel", "handoff_reason")
    raw_id_fields = ("customer",)
    inlines = [MessageInline]


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default")
    inlines = [HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "team",
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "calendar",
    )


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "position",
        "name",
        "reason",
        "language",
        "segment",
        "category",
        "team",
        "skill",
    )
    list_editable = ("position",)
    list_display_links = ("name",)


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "team")
    list_filter = ("language", "team")


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "customer", "phone", "status")
    list_filter = ("status",)
    raw_id_fields = ("customer", "conversation")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("kind", "conversation", "resolved_by", "score", "effort", "answered_at")
    list_filter = ("kind", "resolved_by")
    raw_id_fields = ("conversation", "customer")
