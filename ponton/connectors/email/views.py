"""The email channel's pages: the customer's "this solved my problem", the agent's original."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ponton.accounts.permissions import staff_required
from ponton.audit.services import conversation_viewed
from ponton.connectors.email import services


@require_http_methods(["GET", "POST"])
def solved(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open every link: opening must change nothing); POST closes."""
    link = services.access_by_solved_token(token)
    if link is None:
        raise Http404
    outcome = services.close_as_solved(link) if request.method == "POST" else None
    return render(
        request,
        "email/solved.html",
        {
            "conversation": link.conversation,
            "outcome": outcome,
            "can_close": services.can_close(link),
        },
    )


@staff_required
def original(request: HttpRequest, record_id: int) -> FileResponse:
    """The email as it was received, for staff who may read its conversation."""
    record = services.access_original(request.user, record_id)
    conversation = record.message.conversation
    conversation_viewed(request, conversation, page="email.original", email=record.pk)
    response = FileResponse(
        record.original.open("rb"),
        as_attachment=True,
        filename=f"email-{record.message_id}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
