"""Build the demo company: people, knowledge base and ninety days of history."""

from __future__ import annotations

import random
from pathlib import Path

from django.db import transaction

from ponton.demo import calls, chats, history, incidents, live, people, service_levels
from ponton.insights import kpis
from ponton.knowledge.portability import import_folder

KB_FOLDER = Path(__file__).resolve().parent / "kb"


@transaction.atomic
def load_demo(*, seed: int = 7, with_history: bool = True) -> dict[str, int]:
    rng = random.Random(seed)
    created = people.create_people(rng)
    report = import_folder(KB_FOLDER)
    if not report.ok:
        raise RuntimeError("The demo knowledge base does not import:\n" + "\n".join(report.errors))
    service_levels.set_up()
    incidents.set_up_components()
    figures = {"articles": report.created, "customers": len(created["customers"])}
    if with_history:
        figures.update(history.generate(customers=created["customers"], seed=seed))
        figures.update(chats.generate(customers=created["customers"], seed=seed))
        figures["routed handoffs"] = service_levels.route_history(rng)
        service_levels.advisors_start_their_day()
        figures.update(chats.after_advisors(seed=seed))
        figures.update(incidents.generate(seed=seed))
        figures["phone calls"] = calls.past_calls(created["customers"])
        figures["open conversations"] = live.open_conversations(created["customers"], rng)
        live.workspace_examples()
        # Settled days are read from the rollup from the first page on.
        figures["rolled-up sessions"] = kpis.roll_up()
    return figures


def demo_is_loaded() -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="admin").exists()
