from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ponton.connectors.email import imap

EX_TEMPFAIL = 75  # sysexits.h: some mail is still waiting; run again later
EX_CONFIG = 78  # sysexits.h: nothing to poll


class Command(BaseCommand):
    help = (
        "Poll each IMAP mailbox of PONTON_IMAP_MAILBOXES once; the last line is a JSON "
        "summary. Exits 75 when mail was left for the next poll or a mailbox did not answer."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not imap.configured_mailboxes():
            self.stdout.write(json.dumps(imap.summary([])))
            raise CommandError(
                "No mailbox configured: set PONTON_IMAP_MAILBOXES to one or more IMAP URLs, "
                "e.g. imaps://support%40example.com:PASSWORD@imap.example.com/INBOX",
                returncode=EX_CONFIG,
            )
        reports = imap.fetch_configured_mail()
        for report in reports:
            line = (
                f"{report.mailbox}: {report.delivered} delivered, {report.unreadable} unreadable, "
                f"{report.left_for_retry} left for the next poll"
            )
            self.stdout.write(line if report.ok else f"{line} — {'; '.join(report.errors)}")
        self.stdout.write(json.dumps(imap.summary(reports)))
        if not all(report.ok for report in reports):
            sys.exit(EX_TEMPFAIL)
