from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.ops.migrations_rule import check_release


class Command(BaseCommand):
    help = (
        "Check the migrations added since the previous release (the commit in "
        ".ci/previous-release, or --since) against the zero-downtime rule: they only add "
        "what the previous release can ignore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="the previous release's commit")
        parser.add_argument("--repo", type=Path, default=Path(settings.BASE_DIR).parent)

    def handle(self, *args: Any, since: str | None, repo: Path, **options: Any) -> None:
        if since is None:
            marker = repo / ".ci" / "previous-release"
            if not marker.exists():
                raise CommandError(f"No --since and no {marker}.")
            since = marker.read_text().split()[0]
        try:
            added, refusals = check_release(since, repo)
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"Cannot read the commit {since} in {repo}: {exc.stderr}") from exc
        for migration in added:
            self.stdout.write(f"{migration.app_label}.{migration.name}")
        if refusals:
            raise CommandError(
                "Not safe while the previous release serves:\n"
                + "\n".join(f"  {refusal}" for refusal in refusals)
            )
        self.stdout.write(f"{len(added)} migration(s) since {since}: zero-downtime rule kept.")
