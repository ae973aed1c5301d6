from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ponton.accounts.models import ApiToken, CustomerProfile, Role, Skill, Team, User
from ponton.accounts.services import revoke
from ponton.audit.models import Action
from ponton.audit.services import record


class CustomerProfileInline(admin.StackedInline):
    model = CustomerProfile
    fk_name = "user"
    can_delete = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "role", "language", "is_active")
    list_filter = ("role", "language", "is_active", "teams")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Ponton", {"fields": ("role", "language", "teams", "skills")}),
    )
    inlines = [CustomerProfileInline]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A customer's account opened in the admin is a view of their data (audit log)."""
        response = super().change_view(request, object_id, form_url, extra_context)
        opened = request.method == "GET" and response.status_code == 200
        if (
            opened
            and object_id.isdigit()
            and User.objects.filter(pk=int(object_id), role=Role.CUSTOMER).exists()
        ):
            record(
                Action.CUSTOMER_VIEWED,
                target=("accounts.user", object_id),
                request=request,
                page="admin",
                customer=int(object_id),
            )
        return response


admin.site.register(Team)
admin.site.register(Skill)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by `ponton create-api-token` (shown once); here they are
    seen and revoked, never read back."""

    list_display = ("prefix", "name", "user", "scopes", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    exclude = ("key_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = revoke(queryset, reason="admin")
        self.message_user(request, _("%(count)s token(s) revoked.") % {"count": count})
