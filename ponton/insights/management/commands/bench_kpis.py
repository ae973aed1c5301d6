"""`ponton bench-kpis`: generate a journey log and time the KPIs over it.

Run it in a database of its own, e.g.
DATABASE_URL=postgres://postgres@127.0.0.1:5432/ponton_kpibench ponton bench-kpis
The last line of the output is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from ponton.insights import benchmark, kpis
from ponton.insights.kpis import Filters, Period
from ponton.insights.models import SessionFact
from ponton.journeys.models import JourneyEvent


class Command(BaseCommand):
    help = "Generate journeys (in a database of their own) and time the KPIs over them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--customers", type=int, default=5000)
        parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each computation.")
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="Keep the journeys already in the database instead of refusing to run.",
        )
        parser.add_argument(
            "--skip-direct",
            action="store_true",
            help="Do not time the direct computation over the whole period (the slow reference).",
        )

    def _timed(self, repeat: int, compute: Any) -> tuple[float, Any]:
        times, result = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            result = compute()
            times.append(time.perf_counter() - started)
        return statistics.median(times), result

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        existing = JourneyEvent.objects.count()
        if existing and not options["reuse"]:
            raise CommandError(
                f"This database already holds {existing} journey events. Run the benchmark in a "
                "database of its own (DATABASE_URL=postgres://…/ponton_kpibench), or pass --reuse."
            )
        now = timezone.now()
        period = Period(now - timedelta(days=options["days"]), now)
        write = self.stdout.write
        write(f"Database: {connection.vendor} {connection.settings_dict.get('NAME')}")

        generate_seconds = 0.0
        if not existing:
            started = time.perf_counter()
            customers = benchmark.bench_customers(options["customers"])
            step = max(1, options["events"] // 10)
            marks = iter(range(step, options["events"] + step, step))
            mark = next(marks)

            def progress(written: int) -> None:
                nonlocal mark
                if written >= mark:
                    write(f"  {written:,} events written ({time.perf_counter() - started:.1f}s)")
                    mark = next(marks, 1 << 62)

            write(f"Generating {options['events']:,} events over {options['days']} days…")
            benchmark.generate(
                events=options["events"],
                start=period.since,
                end=period.until - timedelta(hours=1),
                customers=customers,
                progress=progress,
            )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {JourneyEvent._meta.db_table}")
            generate_seconds = time.perf_counter() - started
        events = JourneyEvent.objects.count()
        write(f"{events:,} events in the journey log.")

        kpis.reset_rollup()
        write("Rolling up the finished sessions…")
        started = time.perf_counter()
        rolled = kpis.roll_up(now=now)
        rollup_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {SessionFact._meta.db_table}")
        write(
            f"  {rolled:,} sessions rolled up in {rollup_seconds:.1f}s (until {kpis.rolled_until()})."
        )

        write(f"Computing the KPIs over {options['days']} days ({options['repeat']} runs)…")
        kpi_seconds, figures = self._timed(options["repeat"], lambda: kpis.quantities(period))
        write(f"  median {kpi_seconds:.3f}s")
        filtered_seconds, _ = self._timed(
            options["repeat"], lambda: kpis.quantities(period, Filters(segment="business"))
        )
        write(f"  with a segment filter: median {filtered_seconds:.3f}s")
        daily_seconds, _ = self._timed(
            options["repeat"], lambda: kpis.session_totals(period, Filters())
        )
        write(f"  per-day totals for the trend charts: median {daily_seconds:.3f}s")

        result: dict[str, Any] = {
            "database": connection.vendor,
            "events": events,
            "days": options["days"],
            "sessions": figures["sessions"],
            "rolled_up_sessions": SessionFact.objects.count(),
            "generate_seconds": round(generate_seconds, 2),
            "rollup_seconds": round(rollup_seconds, 2),
            "kpi_seconds": round(kpi_seconds, 4),
            "kpi_seconds_segment_filter": round(filtered_seconds, 4),
            "daily_totals_seconds": round(daily_seconds, 4),
        }
        if not options["skip_direct"]:
            write("Computing the same KPIs directly from the events (the reference)…")
            direct_seconds, direct = self._timed(
                1, lambda: kpis.quantities(period, source="direct")
            )
            write(f"  {direct_seconds:.1f}s")
            result["direct_seconds"] = round(direct_seconds, 2)
            result["identical_to_direct"] = direct == figures
        result["kpis"] = {
            k: figures[k]
            for k in (
                "selfcare_usage_rate",
                "deflection_rate",
                "autonomous_resolution_rate",
                "escalation_rate_after_selfcare",
                "mean_seconds_before_escalation",
                "wall_index",
                "csat_after_person",
            )
        }
        write(json.dumps(result))
