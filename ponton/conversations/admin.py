from django.contrib import admin

from ponton.conversations.models import Conversation, Message


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
