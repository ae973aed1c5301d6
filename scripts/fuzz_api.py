"""Fuzz the running API against its own OpenAPI document with schemathesis, as each role.

Usage: DATABASE_URL=... .venv/bin/python scripts/fuzz_api.py [--port 8790] [--examples 15]

Makes a fresh database (DATABASE_URL: a SQLite file, or a PostgreSQL database that is
dropped and created again), loads the demo's people, knowledge base and components,
serves it, then runs every check with a fixed seed: anonymous, the customer of one chat
(its X-Conversation-Token), agent, supervisor and admin (Bearer tokens). Prints one
JSON object as its last line; exits 1 when any run found a failure."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
SEED = 20261204

COMMON = """
[generation]
# The document's 400 covers NUL characters (refused everywhere, see ponton/inputs.py);
# generating them in "valid" data would only test that promise against itself.
allow-x00 = false

# These bodies name other things (an offered choice, an agent, a team, components) or carry rules across
# fields (a title in one language at least, since before until) that a schema cannot
# say: their 400 for an unknown name is the documented answer, not a rejected valid request.
# So do webhook URLs (a public address, known only once resolved), customers (a phone number
# that can be called, an email or a phone to search by), articles (a category, a translation
# to publish) and callbacks (a free slot).
[[operations]]
include-operation-id-regex = "^(chat_messages_create|incident_declare|incident_update|voice_events|insights_kpis|webhooks_create|customers_find|customers_create|customers_update|kb_articles_create|kb_articles_update|kb_articles_publish|callbacks_create)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

# The agents' writes take an Idempotency-Key: the same key sent again with another body
# is refused with the documented 422 (ponton/conversations/idempotency.py), a rule across
# requests that no schema can say. Assigning also names an agent or a team (400 above).
[[operations]]
include-operation-id-regex = "^conversations_assign$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]

[[operations]]
include-operation-id-regex = "^(conversations_reply|conversations_status)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""

CUSTOMER = """
[[operations]]
include-path-regex = "^/api/v1/chat/conversations/"
parameters = {{ "path.conversation_id" = {chat_id}, "header.X-Conversation-Token" = "{token}" }}
"""


def manage(*args: str) -> str:
    done = subprocess.run(
        [str(VENV / "ponton"), *args], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return done.stdout


def fresh_database() -> None:
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    elif url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "-v0")
    manage(
        "shell",
        "-c",
        "import random; from ponton.demo import live, loader, people;"
        "loader.load_demo(with_history=False);"
        "from ponton.accounts.models import User;"
        "live.open_conversations(list(User.objects.filter(role='customer')[:20]), random.Random(7))",
    )


def run_schemathesis(name: str, url: str, config: str, args: list[str]) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(config)
    command = [str(VENV / "schemathesis"), "--config-file", f.name, "run", url, *args]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    os.unlink(f.name)
    out = done.stdout + done.stderr
    tested = re.search(r"Tested: (\d+)", out)
    generated = re.search(r"(\d+) generated", out)
    failures = re.search(r"(\d+) unique failure", out)
    figures = {
        "role": name,
        "operations": int(tested.group(1)) if tested else 0,
        "requests": int(generated.group(1)) if generated else 0,
        "failures": int(failures.group(1)) if failures else 0,
        "exit": done.returncode,
        "seconds": round(time.monotonic() - started, 1),
    }
    if done.returncode != 0:
        print(out[-20000:], file=sys.stderr)
    print(json.dumps(figures), flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--examples", type=int, default=15)
    parser.add_argument("--workers", default="1", help="schemathesis workers (1: reproducible)")
    options = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/ponton-fuzz.sqlite3")
    # Rate limits are part of the contract (429 is documented); here they would only slow the run.
    for limit in ("API_ANON_RATE", "PONTON_CHAT_CONVERSATION_RATE", "PONTON_CHAT_ADDRESS_RATE"):
        os.environ.setdefault(limit, "100000/minute")
    fresh_database()
    tokens = {
        r: manage("create-api-token", r, *scopes).strip().splitlines()[-1]
        for r, scopes in (
            ("agent", ()),
            ("supervisor", ()),
            ("admin", ("--scopes", "read,write,admin")),
        )
    }
    server = subprocess.Popen(
        [str(VENV / "ponton"), "serve", "--port", str(options.port), "--no-access-log"],
        cwd=ROOT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{options.port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # One chat in each language: the first message waits for the assistant's model of
        # its language (trained as the process starts), which the checks' timeout would not.
        chats = [
            json.load(
                urllib.request.urlopen(
                    urllib.request.Request(
                        f"{base}/api/v1/chat/conversations",
                        data=json.dumps({"text": text, "lang": lang}).encode(),
                        headers={"Content-Type": "application/json"},
                    ),
                    timeout=300,
                )
            )
            for lang, text in (("fr", "Ma box ne marche plus"), ("en", "My box is down"))
        ]
        chat = chats[0]
        url = f"{base}/api/v1/openapi.json"
        common = [
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(options.examples),
            "--no-color",
            "--workers",
            options.workers,
            # Reproducible: no examples remembered from earlier runs.
            "--generation-database",
            "none",
        ]
        runs = [run_schemathesis("anonymous", url, COMMON, common)]
        runs.append(
            run_schemathesis(
                "customer",
                url,
                COMMON + CUSTOMER.format(chat_id=chat["id"], token=chat["token"]),
                [*common, "--include-path-regex", "^/api/v1/chat/"],
            )
        )
        for role, token in tokens.items():
            runs.append(
                run_schemathesis(
                    role, url, COMMON, [*common, "-H", f"Authorization: Bearer {token}"]
                )
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    total = {
        "database": os.environ["DATABASE_URL"].split(":", 1)[0],
        "operations": max(r["operations"] for r in runs),  # type: ignore[type-var]
        "requests": sum(r["requests"] for r in runs),  # type: ignore[misc]
        "failures": sum(r["failures"] for r in runs),  # type: ignore[misc]
        "runs": runs,
    }
    print(json.dumps(total))
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
