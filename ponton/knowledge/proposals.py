"""Agents propose edits to articles; the article's owner reviews them.

Accepting applies the proposal through `save_translation` (a new version, the
search index and the assistant's retraining follow as for any edit), keeping
the translation's current status; rejecting keeps the reviewer's note.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ponton.knowledge.models import ArticleProposal, ArticleTranslation, ProposalStatus
from ponton.knowledge.services import TranslationFields, save_translation


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_agent)


def may_review(user: Any, proposal: ArticleProposal) -> bool:
    """The article's owner reviews; supervisors and admins stand in when it has none
    or the owner is away."""
    if not _is_staff(user):
        return False
    return user.is_supervisor or proposal.translation.article.owner_id == user.pk


def _current_version(translation: ArticleTranslation) -> int:
    return translation.versions.order_by("-number").values_list("number", flat=True).first() or 0


@transaction.atomic
def propose_edit(
    translation: ArticleTranslation,
    *,
    title: str,
    body: str,
    questions: list[str],
    note: str,
    by: Any,
) -> ArticleProposal:
    if not _is_staff(by):
        raise ValidationError(_("Only staff can propose edits."))
    errors = {}
    if not title.strip():
        errors["title"] = _("A title is required.")
    if not body.strip():
        errors["body"] = _("The article needs a body.")
    if errors:
        raise ValidationError(errors)
    cleaned = [q.strip() for q in questions if q.strip()]
    if (
        title.strip() == translation.title
        and body.strip() == translation.body.strip()
        and cleaned == list(translation.questions)
    ):
        raise ValidationError({"body": _("This is the article as it is: change something first.")})
    return ArticleProposal.objects.create(
        translation=translation,
        title=title.strip(),
        body=body.strip() + "\n",
        questions=cleaned,
        note=note.strip()[:2000],
        proposed_by=by,
        base_version=_current_version(translation),
    )


def proposals_to_review(user: Any) -> QuerySet[ArticleProposal]:
    """Pending proposals the user may review, oldest first."""
    if not _is_staff(user):
        return ArticleProposal.objects.none()
    pending = ArticleProposal.objects.filter(status=ProposalStatus.PENDING).select_related(
        "translation__article__owner", "proposed_by"
    )
    if not user.is_supervisor:
        pending = pending.filter(translation__article__owner=user)
    return pending.order_by("created_at")


def access_proposal(user: Any, proposal_id: int) -> ArticleProposal:
    """A proposal the user may read: theirs, or one they may review; otherwise 404."""
    if not _is_staff(user):
        raise Http404
    proposals = ArticleProposal.objects.select_related(
        "translation__article__owner", "proposed_by"
    ).filter(pk=proposal_id)
    if not user.is_supervisor:
        proposals = proposals.filter(Q(proposed_by=user) | Q(translation__article__owner=user))
    proposal = proposals.first()
    if proposal is None:
        raise Http404
    return proposal


def _review(proposal: ArticleProposal, *, by: Any) -> ArticleProposal:
    locked = ArticleProposal.objects.select_for_update().get(pk=proposal.pk)
    if not may_review(by, locked):
        raise ValidationError(_("Only the article's owner or a supervisor can review this."))
    if locked.status != ProposalStatus.PENDING:
        raise ValidationError(_("This proposal was already reviewed."))
    return locked


def _close(locked: ArticleProposal, status: str, *, by: Any, note: str) -> None:
    """Record the review's outcome on the locked proposal."""
    locked.status = status
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.review_note = note.strip()[:2000]
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])


@transaction.atomic
def accept_proposal(proposal: ArticleProposal, *, by: Any, note: str = "") -> ArticleTranslation:
    locked = _review(proposal, by=by)
    translation = locked.translation
    saved = save_translation(
        article=translation.article,
        language=translation.language,
        fields=TranslationFields(
            title=locked.title,
            body=locked.body,
            questions=list(locked.questions),
            status=translation.status,
        ),
        author=by,
        note=_("Proposed by %(name)s")
        % {"name": locked.proposed_by.get_username() if locked.proposed_by else "?"},
    )
    _close(locked, ProposalStatus.ACCEPTED, by=by, note=note)
    proposal.status = locked.status
    return saved


@transaction.atomic
def reject_proposal(proposal: ArticleProposal, *, by: Any, note: str) -> ArticleProposal:
    if not note.strip():
        raise ValidationError({"note": _("Say why, so the author can learn from it.")})
    locked = _review(proposal, by=by)
    _close(locked, ProposalStatus.REJECTED, by=by, note=note)
    proposal.status = locked.status
    return locked
