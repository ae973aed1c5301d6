"""The `data` of each event: ids and the fields an integrator files, never a secret
(a conversation's token) nor an agent's internal note. Objects are read by attribute, so
this module imports none of the apps that emit."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def conversation(c: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "state": c.state,
        "status": c.status,
        "channel": c.channel,
        "language": c.language,
        "priority": c.priority,
        "handoff_reason": c.handoff_reason,
        "customer_id": c.customer_id,
        "team_id": c.team_id,
        "assignee_id": c.assignee_id,
        "created_at": _iso(c.created_at),
        **extra,
    }


def message(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "conversation_id": m.conversation_id,
        "author": m.author,
        "text": m.text,
        "channel": m.channel,
        "created_at": _iso(m.created_at),
    }


def survey(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "kind": s.kind,
        "conversation_id": s.conversation_id,
        "customer_id": s.customer_id,
        "score": s.score,
        "effort": s.effort,
        "comment": s.comment,
        "resolved_by": s.resolved_by,
        "answered_at": _iso(s.answered_at),
    }


def incident(i: Any, *, update: Any = None) -> dict[str, Any]:
    data = {
        "id": i.pk,
        "title": {"fr": i.title_fr, "en": i.title_en},
        "status": i.phase,
        "impact": i.impact,
        "components": sorted(c.pk for c in i.components.all()),
        "started_at": _iso(i.started_at),
        "resolved_at": _iso(i.resolved_at),
    }
    if update is not None:
        data["update"] = {
            "status": update.phase,
            "message": {"fr": update.message_fr, "en": update.message_en},
            "at": _iso(update.created_at),
        }
    return data


def article(t: Any) -> dict[str, Any]:
    return {
        "id": t.article_id,
        "translation_id": t.pk,
        "language": t.language,
        "title": t.title,
        "slug": t.slug,
        "published_at": _iso(t.published_at),
    }
