from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ponton.knowledge.search import rebuild_index
from ponton.knowledge.services import LANGUAGES
from ponton.tasks.services import enqueue


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the published articles, and ask the workers to embed "
        "the passages that are missing or out of date (search by meaning)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{rebuild_index()} translations indexed.")
        for lang in LANGUAGES:
            enqueue(
                "assistant.embed_all_passages",
                dedupe_key=f"assistant.embed_all_passages:{lang}",
                lang=lang,
            )
