"""The audit log in the admin: read, searched and filtered by administrators only;
nobody adds, changes or deletes an entry there."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ponton.audit.models import AuditEntry


def _is_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", "") == "admin"))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "target_type", "target_id", "client_address")
    list_filter = ("action", "target_type", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_label", "target_id", "client_address", "action")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
