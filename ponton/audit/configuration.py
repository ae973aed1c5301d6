"""Setting changes in the audit log: who created, changed or deleted which piece of
configuration (routing rules, service levels, calendars, saved replies, teams, webhook
endpoints...), and which of its fields changed.

One mechanism for every way in (the admin, the API, a page): model signals. The apps
that own configuration declare their models here with `watch` from their `ready()`,
since the audit log sits below them and imports none of them. Only changes made while
a request is served are recorded, with that request's user: the demo's seeding and
migrations would otherwise fill the log with the system's own set-up.

An entry names the model, the object's id and a label, and the fields that changed,
by name only: values are never written, so a rotated webhook secret (or any other
secret a model holds) cannot reach the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from ponton.audit.models import Action
from ponton.audit.services import current_request, record

Label = Callable[[Any], str]

_labels: dict[type[models.Model], Label] = {}
# The join table of a watched model's many-to-many field (a team's skills): the model, the field.
_relations: dict[Any, tuple[type[models.Model], str]] = {}


def watch(model: type[models.Model], *, label: Label = str) -> None:
    """Record this model's changes as setting changes. `label` names an object in the
    log (its `str` by default); give another when that could carry a secret (a URL
    with a token in its path)."""
    _labels[model] = label
    uid = f"audit-setting-{model._meta.label_lower}"
    pre_save.connect(_remember, sender=model, dispatch_uid=uid)
    post_save.connect(_saved, sender=model, dispatch_uid=uid)
    post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
    for relation in model._meta.many_to_many:
        through = relation.remote_field.through
        _relations[through] = (model, relation.name)
        m2m_changed.connect(_related_changed, sender=through, dispatch_uid=f"{uid}-{relation.name}")


def watched() -> list[type[models.Model]]:
    return sorted(_labels, key=lambda model: model._meta.label_lower)


def _fields(model: type[models.Model]) -> dict[str, str]:
    """Column (`team_id`) to field name (`team`) of what a save may change."""
    return {f.attname: f.name for f in model._meta.concrete_fields if not f.primary_key}


def _remember(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    instance._audit_setting_before = None
    if raw or instance.pk is None or current_request() is None:
        return
    fields = _fields(sender)
    names = list(fields)
    update_fields = kwargs.get("update_fields")
    if update_fields is not None:
        saved = set(update_fields)
        names = [column for column, name in fields.items() if {column, name} & saved]
    if names:
        instance._audit_setting_before = (
            sender._default_manager.filter(pk=instance.pk).values(*names).first()
        )


def _record(sender: Any, instance: Any, change: str, **details: Any) -> None:
    label = _labels.get(sender, str)(instance)
    record(
        Action.SETTING_CHANGED,
        target=instance,
        change=change,
        model=sender._meta.label_lower,
        label=str(label)[:200],
        **details,
    )


def _saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    before = getattr(instance, "_audit_setting_before", None)
    instance._audit_setting_before = None
    if raw or current_request() is None:
        return
    if created:
        _record(sender, instance, "created")
        return
    if before is None:  # a row that was not there (or nothing watched was saved)
        return
    fields = _fields(sender)
    changed = sorted(fields[c] for c, value in before.items() if getattr(instance, c) != value)
    if changed:
        _record(sender, instance, "changed", fields=changed)


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    if current_request() is not None:
        _record(sender, instance, "deleted")


def _related_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear") or current_request() is None:
        return
    model, name = _relations[sender]
    if not reverse:  # team.skills.add(...)
        _record(model, instance, "changed", fields=[name])
    elif pk_set:  # skill.teams.add(...): each team named changed
        for changed in model._default_manager.filter(pk__in=pk_set).order_by("pk"):
            _record(model, changed, "changed", fields=[name])
