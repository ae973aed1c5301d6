"""`ponton send-nps`: the recommendation survey round now (workers also run it daily)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from ponton.conversations.surveys import NPS_PERIOD, send_nps_surveys


class Command(BaseCommand):
    help = (
        f"Ask the NPS question by email of customers who had a conversation in the last "
        f"{NPS_PERIOD.days} days and were not asked in them. Safe to run again: nobody is asked twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        asked = send_nps_surveys()
        self.stdout.write(json.dumps({"asked": asked}))
