from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.accounts.services import UnknownScope, create_api_token


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")
        parser.add_argument(
            "--scopes", default="read,write", help="Comma-separated: read, write, admin."
        )
        parser.add_argument(
            "--days", type=int, default=None, help="Lifetime (default PONTON_API_TOKEN_DAYS)."
        )

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_agent:
            raise CommandError(
                f"{username!r} is a customer; API tokens are for agents, supervisors and admins."
            )
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        if options["days"] is not None and options["days"] < 0:
            raise CommandError("--days must be 0 (no expiry) or more.")
        try:
            raw = create_api_token(user, name=name, scopes=scopes, days=options["days"])
        except UnknownScope as exc:
            raise CommandError(f"Unknown scope: {exc}.") from exc
        self.stdout.write(raw)
