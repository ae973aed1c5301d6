"""`ponton demo`: set up the embedded demo on first start, then serve it."""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ponton.demo.loader import demo_is_loaded, load_demo
from ponton.demo.people import DEMO_PASSWORD
from ponton.tasks.services import start_in_process_worker


def follow_the_port(*, host: str, port: int) -> str:
    """The demo's own address, which its links then use: survey and sign-in links,
    the supervisors' alerts, and selfcare actions (they call the demo backend on
    this very server). An address named in the environment (SITE_URL,
    PONTON_CONNECTOR_URL) is kept: it is what customers reach, maybe through a proxy."""
    if os.environ.get("SITE_URL", "").strip():
        return str(settings.SITE_URL)
    if host in ("", "0.0.0.0", "::"):  # every interface: this machine answers on loopback
        host = "127.0.0.1"
    site = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    settings.SITE_URL = site
    if not os.environ.get("PONTON_CONNECTOR_URL", "").strip():
        settings.PONTON_CONNECTOR_URL = f"{site}/demo-backend/"
    return site


# A number the French regulator keeps for fiction (ARCEP): it reaches nobody.
DEMO_PHONE = "+33 1 99 00 12 34"


def serve_the_demo_backend() -> None:
    """The demo company's systems answer on this server, with a token made for this run
    unless one is configured."""
    settings.PONTON_DEMO_BACKEND = True
    if not settings.PONTON_CONNECTOR_TOKEN:
        settings.PONTON_CONNECTOR_TOKEN = secrets.token_urlsafe(24)


def show_a_phone_number() -> None:
    """The demo shows a support number (and its hours and wait) unless one is configured."""
    if not os.environ.get("PONTON_SUPPORT_PHONE", "").strip():
        settings.PONTON_SUPPORT_PHONE = DEMO_PHONE


class Command(BaseCommand):
    help = (
        "Create the demo database on first start (migrations, demo company, history) and serve it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the database and stop."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Applying migrations…")
        call_command("migrate", verbosity=0, interactive=False)
        if demo_is_loaded():
            self.stdout.write("Demo data already loaded.")
        else:
            self.stdout.write(
                "Loading the demo company (people, knowledge base, 90 days of history)…"
            )
            started = time.monotonic()
            figures = load_demo()
            summary = ", ".join(f"{v} {k}" for k, v in figures.items())
            self.stdout.write(f"Loaded in {time.monotonic() - started:.1f}s: {summary}.")
        follow_the_port(host=options["host"], port=options["port"])
        show_a_phone_number()
        serve_the_demo_backend()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"\nPonton demo on {url}\n")
            + f"Sign in with any of: admin, supervisor, agent, agent2 (staff), client (a customer).\n"
            f"Password for all: {DEMO_PASSWORD}\nAgents' inbox: {url}fr/agent/\n"
            f"Knowledge-base editor: {url}fr/manage/articles/\n"
        )
        if not options["no_serve"]:
            # Embedded default: background tasks run in this process (production runs `ponton worker`).
            start_in_process_worker()
            os.environ["PONTON_WARM_UP"] = "1"  # the assistant's models trained as it starts
            uvicorn.run(
                "ponton.asgi:application",
                host=options["host"],
                port=options["port"],
                proxy_headers=True,
                forwarded_allow_ips=list(settings.PONTON_TRUSTED_PROXIES),
                log_level="info",
            )
