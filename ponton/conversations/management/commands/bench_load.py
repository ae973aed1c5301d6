"""`ponton bench-load --url URL`: realtime delivery under load, against a running server.

Simulated customers post chat messages over HTTP at a target rate; simulated
agents hold inbox websockets and re-read each pushed conversation over HTTP.
Prints progress, then messages per second delivered, customer-to-agent latency
(p50, p95, max), messages lost and errors; the last line is one JSON object.

The benchmark writes its agents through the ORM, so it must run with the
server's DATABASE_URL; the server must allow the anonymous chat traffic
(`API_ANON_RATE`, `PONTON_CHAT_CONVERSATION_RATE` and `PONTON_CHAT_ADDRESS_RATE` at
100000/minute). Its data is removed at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.conversations import cpu, loadbench


class Command(BaseCommand):
    help = "Drive simulated customers and agents against a running server; print delivery figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The server's base URL.")
        parser.add_argument("--customers", type=int, default=50)
        parser.add_argument("--agents", type=int, default=10)
        parser.add_argument("--messages", type=int, default=40, help="Messages per customer.")
        parser.add_argument(
            "--rate", type=float, default=250.0, help="Target messages per second, all customers."
        )
        parser.add_argument(
            "--grace", type=float, default=10.0, help="Seconds to wait for the last messages."
        )
        parser.add_argument(
            "--allow-throttle",
            action="store_true",
            help="Run even if the server throttles anonymous chat (429s count as errors).",
        )
        parser.add_argument(
            "--server-pid",
            type=int,
            action="append",
            default=[],
            help="A server process on this machine (repeatable; its children count too): "
            "report its CPU time per message.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("customers", "agents", "messages"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        if options["rate"] <= 0:
            raise CommandError("--rate must be positive.")
        settings = loadbench.Options(
            url=options["url"].rstrip("/"),
            customers=options["customers"],
            agents=min(options["agents"], options["customers"]),
            messages=options["messages"],
            rate=options["rate"],
            grace=options["grace"],
            allow_throttle=options["allow_throttle"],
        )
        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
        leftovers = loadbench.cleanup()
        if any(leftovers.values()):
            self.stdout.write(f"Removed an earlier run's data: {leftovers}.")
        run = loadbench.new_run_id()
        say = self.stdout.write
        try:
            agents = loadbench.create_agents(run, settings.agents)
            say(f"{len(agents)} agents created; opening {settings.customers} chats…")
            chats = asyncio.run(loadbench.prepare(settings, agents, run=run, say=say))
            loadbench.route(chats, agents)
            say(
                f"Running: {settings.customers} customers, {settings.messages} messages each "
                f"at {settings.rate:g}/s, {len(agents)} agents on {settings.url}."
            )
            before = cpu.sample(options["server_pid"])
            result = asyncio.run(loadbench.measure(settings, agents, chats, run=run, say=say))
            after = cpu.sample(options["server_pid"])
            result |= cpu.per_message(before, after, result["delivered"])
            result["load_average"] = {"before": before.load, "after": after.load}
            result["cpus"] = os.cpu_count()
        except loadbench.BenchError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            removed = loadbench.cleanup()
            say(f"Cleaned up: {removed}.")
        figures = {
            "url": settings.url,
            "customers": len(chats),
            "agents": len(agents),
            "messages_per_customer": settings.messages,
            "target_rate": settings.rate,
            **result,
        }
        latency = figures["latency_ms"]
        say(
            f"\n{figures['messages_per_second']} messages/s delivered; latency p50 "
            f"{latency['p50']} ms, p95 {latency['p95']} ms, max {latency['max']} ms; "
            f"{figures['lost']} lost, {figures['errors']} errors."
        )
        say(
            f"CPU per message: {figures['machine_cpu_ms_per_message']} ms on the whole machine"
            f" ({figures['cpus']} cores), {figures['server_cpu_ms_per_message']} ms in the "
            f"server processes; load average before {figures['load_average']['before']}, "
            f"after {figures['load_average']['after']}."
        )
        say(json.dumps(figures))
