from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ponton.accounts.models import CustomerProfile, Skill, Team, User


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


admin.site.register(Team)
admin.site.register(Skill)
