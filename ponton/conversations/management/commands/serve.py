"""`ponton serve`: the production web server (HTTP and websockets), nothing else.

Unlike `ponton demo` it loads no data and runs no background tasks (`ponton
worker` does, in its own processes). With `--workers N` it starts N app
processes on one port; pushes reach a websocket held by any of them through
the Redis channel layer, so set REDIS_URL whenever N > 1. Behind a reverse
proxy on another host, set PONTON_TRUSTED_PROXIES to its address: uvicorn, the
throttles and the sign-in lockout believe X-Forwarded-For from those only.
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

APPLICATION = "ponton.asgi:application"


class Command(BaseCommand):
    help = "Serve Ponton (HTTP and websockets) with uvicorn; no demo data, no task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=1, help="App processes (Redis needed above 1)."
        )
        parser.add_argument(
            "--no-access-log", action="store_true", help="Do not log every request."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers: int = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if workers > 1 and "channels_redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            raise CommandError(
                "Several app processes need REDIS_URL: with the in-memory channel layer a "
                "message posted to one process would never reach a websocket held by another."
            )
        # Each app process trains the assistant's models as it starts (ponton/asgi.py).
        os.environ["PONTON_WARM_UP"] = "1"
        uvicorn.run(
            APPLICATION,
            host=options["host"],
            port=options["port"],
            workers=workers,
            access_log=not options["no_access_log"],
            proxy_headers=True,
            forwarded_allow_ips=list(settings.PONTON_TRUSTED_PROXIES),
            lifespan="off",  # Django has no lifespan events
            log_level="info",
        )
