"""The email channel's background work: mail out through the durable task queue (retried
with backoff, sent once), and the IMAP mailboxes polled for mail in."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings

from ponton.connectors.email import imap, outbound
from ponton.tasks.services import register

logger = logging.getLogger(__name__)


@register("conversations.email_reply", attempts=outbound.MAX_ATTEMPTS)
def email_reply(message_id: int) -> None:
    """An agent's answer, by email, threaded to the customer's last mail."""
    outbound.deliver(message_id, kind=outbound.Kind.REPLY)


@register("email.acknowledge", attempts=outbound.MAX_ATTEMPTS)
def acknowledge(message_id: int) -> None:
    """The automatic acknowledgement of a new email: when a person answers, and maybe an
    article with a one-click "this solved my problem"."""
    outbound.deliver(message_id, kind=outbound.Kind.ACKNOWLEDGEMENT)


def fetch_mail() -> None:
    """Poll every configured mailbox once. It never raises for a mailbox that fails:
    what is left stays on the server, and the next poll is the retry."""
    for report in imap.fetch_configured_mail():
        if report.delivered or report.unreadable:
            logger.info(
                "IMAP %s: %s delivered, %s unreadable",
                report.mailbox,
                report.delivered,
                report.unreadable,
            )


# Read at start-up, so a mistyped mailbox URL stops the process with its reason.
if imap.configured_mailboxes():
    register("connectors.fetch_mail", every=timedelta(seconds=settings.PONTON_IMAP_POLL_SECONDS))(
        fetch_mail
    )
