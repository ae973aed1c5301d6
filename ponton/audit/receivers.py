"""What the audit log hears without being called: sign-ins and sign-outs, failed
sign-ins, and changes of a user's role, admin rights (staff, superuser), activity or
teams wherever they are made (the admin, a command, a service). Setting changes are
heard by `ponton.audit.configuration`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from ponton.audit.models import Action
from ponton.audit.services import record

User = get_user_model()
WATCHED = ("role", "is_active", "is_staff", "is_superuser")


def _method(user: Any) -> str:
    backend = str(getattr(user, "backend", "") or "")
    if "oidc" in backend.lower():
        return "oidc"
    return "password" if backend.endswith("ModelBackend") else backend.rsplit(".", 1)[-1]


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(Action.SIGN_IN, actor=user, target=user, request=request, method=_method(user))


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(Action.SIGN_OUT, actor=user, target=user, request=request)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: Any, request: Any = None, **kwargs: Any) -> None:
    typed = str((credentials or {}).get("username") or "")[:150]
    account = User.objects.filter(username=typed).first() if typed else None
    record(
        Action.SIGN_IN_FAILED,
        actor=account,
        actor_label=typed or "?",
        target=account,
        request=request,
        known_account=account is not None,
    )


@receiver(pre_save, sender=User)
def _remember(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    instance._audit_before = None
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not set(update_fields) & set(WATCHED):
        return
    instance._audit_before = User.objects.filter(pk=instance.pk).values(*WATCHED).first()


@receiver(post_save, sender=User)
def _rights_changed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if created or not before:
        return
    if before["role"] != instance.role:
        record(Action.ROLE_CHANGED, target=instance, before=before["role"], after=instance.role)
    if before["is_active"] != instance.is_active:
        record(Action.ACTIVE_CHANGED, target=instance, active=instance.is_active)
    rights = ("is_staff", "is_superuser")
    if any(before[name] != getattr(instance, name) for name in rights):
        record(
            Action.ADMIN_RIGHTS_CHANGED,
            target=instance,
            before={name: before[name] for name in rights},
            after={name: getattr(instance, name) for name in rights},
        )


@receiver(m2m_changed, sender=User.teams.through)
def _teams_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action == "pre_clear":  # who loses which teams is only known before
        if reverse:  # a team emptied
            for user_id in instance.members.values_list("pk", flat=True):
                record(
                    Action.TEAMS_CHANGED, target=("accounts.user", user_id), removed=[instance.pk]
                )
        else:
            removed = list(instance.teams.values_list("pk", flat=True))
            if removed:
                record(Action.TEAMS_CHANGED, target=instance, removed=removed)
        return
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    change = "added" if action == "post_add" else "removed"
    if reverse:  # team.members.add(...): one entry per user
        for user_id in sorted(pk_set):
            _teams(("accounts.user", user_id), change, [instance.pk])
    else:
        _teams(instance, change, sorted(pk_set))


def _teams(target: Any, change: str, team_ids: list[int]) -> None:
    details: dict[str, Any] = {change: team_ids}
    record(Action.TEAMS_CHANGED, target=target, **details)
