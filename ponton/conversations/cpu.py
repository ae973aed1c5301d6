"""CPU time spent while a benchmark runs, read from Linux's /proc: the whole machine's busy
time, and that of given processes with all their descendants (uvicorn's workers are children
of the process started). Elsewhere than Linux the figures are absent, never guessed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Sample:
    machine_busy: float | None  # seconds of CPU busy over all cores since boot
    processes: float | None  # seconds of CPU used by the watched processes and descendants
    load: tuple[float, float, float] | None


def _ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def machine_busy() -> float | None:
    try:
        fields = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    busy = sum(values[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / _ticks()


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of user + system) of a live process."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _ticks()


def processes_cpu(roots: list[int]) -> float | None:
    """CPU seconds used so far by `roots` and every live descendant of them."""
    if not roots or not PROC.is_dir():
        return None
    table: dict[int, tuple[int, float]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = stat
    watched = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, (parent, _cpu) in table.items():
            if parent in watched and pid not in watched:
                watched.add(pid)
                grew = True
    return sum(cpu for pid, (_parent, cpu) in table.items() if pid in watched)


def sample(roots: list[int]) -> Sample:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return Sample(machine_busy=machine_busy(), processes=processes_cpu(roots), load=load)


def per_message(before: Sample, after: Sample, messages: int) -> dict[str, float | None]:
    """Milliseconds of CPU per message delivered, machine-wide and for the watched processes."""

    def share(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or messages == 0:
            return None
        return round((b - a) * 1000 / messages, 2)

    return {
        "machine_cpu_ms_per_message": share(before.machine_busy, after.machine_busy),
        "server_cpu_ms_per_message": share(before.processes, after.processes),
    }
