"""The load benchmark's CPU accounting, read from /proc (Linux only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ponton.conversations import cpu

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux's /proc only")

# Burns a fixed amount of work, says so, then waits to be told to exit.
BURN = "sum(i * i for i in range(3_000_000)); print('done', flush=True); input()"


def test_a_process_counts_with_its_children_and_its_childrens_children() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BURN!r}])",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "done"
        alone = cpu._stat(parent.pid)
        family = cpu.processes_cpu([parent.pid])
        assert alone is not None and family is not None
        # The grandchild did the work: counted only through the descent.
        assert family > alone[1]
        assert family >= 0.05
    finally:
        assert parent.stdin is not None
        parent.stdin.write("\n")
        parent.stdin.close()
        parent.wait()
        assert parent.stdout is not None
        parent.stdout.close()


def test_per_message_divides_what_was_spent_by_what_was_delivered() -> None:
    before = cpu.Sample(machine_busy=100.0, processes=10.0, load=(1.0, 1.0, 1.0))
    after = cpu.Sample(machine_busy=103.0, processes=11.5, load=(2.0, 1.0, 1.0))
    assert cpu.per_message(before, after, 1000) == {
        "machine_cpu_ms_per_message": 3.0,
        "server_cpu_ms_per_message": 1.5,
    }
    nothing = cpu.Sample(machine_busy=None, processes=None, load=None)
    assert cpu.per_message(nothing, nothing, 10) == {
        "machine_cpu_ms_per_message": None,
        "server_cpu_ms_per_message": None,
    }
    assert cpu.per_message(before, after, 0)["machine_cpu_ms_per_message"] is None


def test_the_machine_is_busy_and_this_process_has_used_some_cpu() -> None:
    sample = cpu.sample([os.getpid()])
    assert sample.machine_busy is not None and sample.machine_busy > 0
    assert sample.processes is not None and sample.processes > 0
    assert sample.load is not None
