"""The `ponton` command: Django's manage.py under the project's name.

Subcommands may be written with hyphens (`ponton create-api-token`); they map
to Django's command modules (`create_api_token`).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponton.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)
