from django.contrib import admin

from ponton.status.models import Component, Incident, IncidentUpdate, Subscription


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name_fr", "name_en", "slug", "position")


class UpdateInline(admin.TabularInline):
    model = IncidentUpdate
    extra = 0
    readonly_fields = ("phase", "message_fr", "message_en", "created_at", "created_by")
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    # Changes go through the incidents workspace (services): here, read and correct texts.
    list_display = ("title_fr", "kind", "impact", "phase", "started_at", "resolved_at")
    list_filter = ("kind", "impact", "phase")
    readonly_fields = ("phase", "started_at", "declared_at", "resolved_at", "next_update_at")
    inlines = [UpdateInline]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("email", "incident", "component", "created_at", "unsubscribed_at")
