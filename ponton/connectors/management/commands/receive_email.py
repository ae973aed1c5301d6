from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from ponton.connectors.email.inbound import TemporaryFailure, UnparseableEmail, receive

EX_DATAERR = 65  # sysexits.h: not a mail we can read; the MTA bounces it
EX_TEMPFAIL = 75  # sysexits.h: try again later; the MTA keeps it in its queue


class Command(BaseCommand):
    help = (
        "Read one raw RFC 5322 email on standard input (as an MTA pipes it) and store it in its "
        "conversation. The last line is JSON: status created, appended, duplicate or ignored "
        "(exit 0), 65 for a message that cannot be read, 75 for a temporary failure."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        try:
            outcome = receive(raw)
        except UnparseableEmail as error:
            self._fail(EX_DATAERR, "unparseable", str(error))
        except TemporaryFailure as error:
            self._fail(EX_TEMPFAIL, "temporary_failure", str(error))
        self.stdout.write(json.dumps(outcome.as_json()))

    def _fail(self, code: int, status: str, reason: str) -> None:
        self.stderr.write(f"{status}: {reason}")
        line = {"status": status, "conversation": None, "message": None, "reason": reason}
        self.stdout.write(json.dumps(line))
        sys.exit(code)
