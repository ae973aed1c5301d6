"""The audit log: who did what, when, from where, on which object.

Entries are written once and never changed by the application: the model refuses
to save an existing row or delete one, and its querysets refuse `update` and
`delete`. Only two named routines reach past that: the erasure of a customer
(their name and addresses leave the entries that mention them) and the retention
purge of entries older than the configured period (ponton/audit/services.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnly(Exception):
    """An audit entry was about to be changed or deleted."""


class Action(models.TextChoices):
    SIGN_IN = "auth.sign_in", _("Signed in")
    SIGN_IN_FAILED = "auth.sign_in_failed", _("Failed sign-in")
    SIGN_OUT = "auth.sign_out", _("Signed out")
    ROLE_CHANGED = "user.role_changed", _("Role changed")
    TEAMS_CHANGED = "user.teams_changed", _("Teams changed")
    ACTIVE_CHANGED = "user.active_changed", _("Account activated or deactivated")
    ADMIN_RIGHTS_CHANGED = "user.admin_rights_changed", _("Staff or superuser status changed")
    TOKEN_CREATED = "token.created", _("API token created")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")
    EXPORT_CSV = "export.csv", _("CSV export")
    EXPORT_CUSTOMER_DATA = "export.customer_data", _("Customer data export")
    EXPORT_AUDIT = "export.audit", _("Audit log export")
    CUSTOMER_ERASED = "customer.erased", _("Customer erased")
    CUSTOMER_VIEWED = "customer.viewed", _("Customer data viewed")
    SETTING_CHANGED = "setting.changed", _("Setting changed")
    OTP_ENROLLED = "otp.enrolled", _("Two-factor authentication enrolled")
    OTP_FAILED = "otp.failed", _("Wrong two-factor code")
    OTP_BACKUP_CODES = "otp.backup_codes", _("Backup codes generated")


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnly("Audit entries are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Audit entries are never deleted.")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnly("Audit entries are never changed.")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("Audit entries are never changed.")


class AuditEntry(models.Model):
    """One thing a person (or a command) did that an administrator may have to
    account for later: signing in, changing rights, exporting, viewing a customer."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # The person, while their account exists; the label keeps who it was after that
    # (or names the command line, or the username a failed sign-in typed).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Audit entries are never deleted.")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "client_address": self.client_address,
            "details": self.details,
        }
