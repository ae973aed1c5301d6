from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ponton.knowledge.search import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the search index from the published articles."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{rebuild_index()} translations indexed.")
