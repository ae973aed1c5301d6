from __future__ import annotations

import json
import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand

from ponton.connectors.email.inbound import TemporaryFailure, UnparseableEmail, receive

logger = logging.getLogger(__name__)

EX_DATAERR = 65  # sysexits.h: not a mail we can read; the MTA bounces it
EX_TEMPFAIL = 75  # sysexits.h: try again later; the MTA keeps it in its queue


class Command(BaseCommand):
    # An MTA runs this for every mail: no system check may make it fail (and bounce the mail).
    requires_system_checks: list[str] = []
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
        except Exception as error:
            # Whatever went wrong, the mail was not stored: the MTA must keep it and retry,
            # never bounce it (most MTAs bounce on an exit code they do not know).
            logger.exception("receive-email failed; the MTA will retry")
            self._fail(EX_TEMPFAIL, "temporary_failure", f"{type(error).__name__}: {error}")
        self.stdout.write(json.dumps(outcome.as_json()))

    def _fail(self, code: int, status: str, reason: str) -> None:
        self.stderr.write(f"{status}: {reason}")
        line = {"status": status, "conversation": None, "message": None, "reason": reason}
        self.stdout.write(json.dumps(line))
        sys.exit(code)
