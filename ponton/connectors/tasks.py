"""Background work of the channels: polling the IMAP mailboxes customers write to."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings

from ponton.connectors.email import imap
from ponton.tasks.services import register

logger = logging.getLogger(__name__)


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
