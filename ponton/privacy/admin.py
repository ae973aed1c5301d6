"""The erasure as an admin action on customers (the command's counts, shown)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ponton.accounts.admin import UserAdmin
from ponton.accounts.models import Role, User
from ponton.privacy import erasure


@admin.action(description=_("Erase the selected customers (GDPR; cannot be undone)"))
def erase_customers(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    erased = 0
    for user in queryset.filter(role=Role.CUSTOMER):
        erasure.erase(str(user.pk))
        erased += 1
    skipped = queryset.exclude(role=Role.CUSTOMER).count()
    modeladmin.message_user(request, _("%(n)s customer(s) erased.") % {"n": erased})
    if skipped:
        modeladmin.message_user(
            request,
            _("%(n)s staff account(s) left alone: erasure is for customers.") % {"n": skipped},
            level=messages.WARNING,
        )


class PrivacyUserAdmin(UserAdmin):
    actions = [erase_customers]


admin.site.unregister(User)
admin.site.register(User, PrivacyUserAdmin)
