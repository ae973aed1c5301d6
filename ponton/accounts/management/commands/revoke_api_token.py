from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.accounts.services import revoke_api_tokens


class Command(BaseCommand):
    help = (
        "Revoke API tokens: by the prefix shown in the admin (pt_xxxxxxx), by --name, "
        'or every token of --user. Prints {"revoked": N}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", nargs="?", default="")
        parser.add_argument("--user", default="", help="Username whose tokens to revoke.")
        parser.add_argument("--name", default="", help="The token's name.")

    def handle(self, *args: Any, prefix: str, user: str, name: str, **options: Any) -> None:
        if not (prefix or user or name):
            raise CommandError("Name a token prefix, --name or --user.")
        owner = None
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"No user named {user!r}.")
        revoked = revoke_api_tokens(user=owner, prefix=prefix, name=name)
        self.stdout.write(json.dumps({"revoked": revoked}))
