"""What the machine gave a timed run, and the sentence that says what a speedup measures."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from forecasting.machine import (
    CpuSnapshot,
    RunPair,
    machine_busy_seconds,
    process_cpu_seconds,
    speed_verdict,
)

# A child that spins until it has used SECONDS of CPU, says so, then sleeps: its CPU time is
# known whatever else the machine runs.
_SPIN = """
import sys, time
target = float(sys.argv[1])
while time.process_time() < target:
    pass
print("spun", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc (Linux)")
def test_cpu_seconds_of_a_process_are_read_from_proc() -> None:
    child = subprocess.Popen([sys.executable, "-c", _SPIN, "0.6"], stdout=subprocess.PIPE,
                             text=True)
    try:
        before = CpuSnapshot.of([child.pid])
        assert child.stdout is not None and child.stdout.readline().strip() == "spun"
        used = process_cpu_seconds(child.pid)
        assert used is not None and 0.55 <= used < 1.5, used  # /proc counts whole ticks
        after = CpuSnapshot.of([child.pid])
        assert after is not None and before is not None
        assert 0 < (after.since(before) or 0) <= used
    finally:
        child.kill()
        child.wait()
    time.sleep(0.1)
    assert process_cpu_seconds(child.pid) is None  # gone: unknown, not zero


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_cpus_available_counts_the_cpus_this_process_may_use_not_the_machines() -> None:
    """A server pinned to one CPU (taskset, a container's cpuset) has one CPU to give its
    workers, however many the machine has."""
    done = subprocess.run(
        [sys.executable, "-c", "from forecasting.machine import cpus_available; "
         "import os; print(cpus_available(), os.cpu_count())"],
        preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}),
        capture_output=True, text=True, timeout=60, check=True)
    available, machine = (int(v) for v in done.stdout.split())
    assert available == 1, done.stdout
    assert machine == os.cpu_count()


def test_workers_that_got_their_cpus_give_a_plain_speedup() -> None:
    verdict = speed_verdict(RunPair(
        2, seq_s=19.3, par_s=10.1, seq_cpus=0.98, par_cpus=1.93, available=2))
    assert verdict.kind == "clean"
    assert verdict.headline == ("2 workers finished 1.9x faster: 10.1 s in parallel against "
                                "19.3 s one after another.")


def test_a_busy_machine_is_named_and_the_speedup_disowned() -> None:
    """The run the issue saw: 0.98x with the workers holding about one CPU between them."""
    verdict = speed_verdict(RunPair(
        2, seq_s=10.21, par_s=10.46, seq_cpus=0.55, par_cpus=1.1, available=2))
    assert verdict.kind == "busy"
    assert verdict.headline.startswith("The machine was busy: the workers got 1.1 of 2 CPUs")
    assert "is not a measure of the engine" in verdict.headline
    assert "10.5 s in parallel against 10.2 s one after another" in verdict.headline


def test_workers_waiting_for_work_on_a_quiet_machine_are_not_called_a_busy_machine() -> None:
    """Small tasks: the workers got 1.6 of 2 CPUs, but nothing else ran; they were waiting for
    their next task, and the headline says that instead of blaming the machine."""
    verdict = speed_verdict(RunPair(
        2, seq_s=1.04, par_s=0.6, seq_cpus=0.91, par_cpus=1.56, available=2,
        other_cpus=0.03))
    assert verdict.kind == "clean"
    assert verdict.headline.startswith("2 workers finished 1.7x faster")
    assert "No other process held the CPUs; the workers were at work 78% of the time" in \
        verdict.headline
    # The same shortfall while other processes took a CPU is a busy machine.
    busy = speed_verdict(RunPair(
        2, seq_s=1.04, par_s=0.6, seq_cpus=0.91, par_cpus=1.56, available=2,
        other_cpus=1.2))
    assert busy.kind == "busy"
    assert "other processes used 1.2 CPUs meanwhile" in busy.headline


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc (Linux)")
def test_the_machines_busy_time_counts_another_process_spinning() -> None:
    child = subprocess.Popen([sys.executable, "-c", _SPIN, "0.6"], stdout=subprocess.PIPE,
                             text=True)
    try:
        before = machine_busy_seconds()
        assert child.stdout is not None and child.stdout.readline().strip() == "spun"
        after = machine_busy_seconds()
    finally:
        child.kill()
        child.wait()
    assert before is not None and after is not None
    assert after - before >= 0.5, "the child's 0.6 s of CPU is busy time of the machine"


def test_a_slowed_sequential_side_is_busy_even_when_the_speedup_looks_good() -> None:
    verdict = speed_verdict(RunPair(
        2, seq_s=30.0, par_s=10.0, seq_cpus=0.6, par_cpus=1.9, available=2))
    assert verdict.kind == "busy"
    assert "one after another: 0.6 of 1" in verdict.headline


def test_a_speedup_above_the_worker_count_is_called_an_artefact() -> None:
    verdict = speed_verdict(RunPair(
        2, seq_s=23.0, par_s=10.0, seq_cpus=None, par_cpus=None, available=2))
    assert verdict.kind == "above_workers"
    assert "2.3x faster" in verdict.headline and "read it as at most 2x" in verdict.headline


def test_jobs_that_need_more_cpu_in_parallel_are_said_to() -> None:
    """Both CPUs held, yet 1.2x: the jobs did their work more slowly side by side."""
    verdict = speed_verdict(RunPair(
        2, seq_s=20.0, par_s=16.0, seq_cpus=0.98, par_cpus=1.95, available=2))
    assert verdict.kind == "slower_work"
    assert "1.6x the CPU time" in verdict.headline


def test_fewer_cpus_than_workers_is_said_first() -> None:
    verdict = speed_verdict(RunPair(
        2, seq_s=20.0, par_s=19.0, seq_cpus=0.99, par_cpus=0.99, available=1))
    assert verdict.kind == "few_cpus"
    assert verdict.headline.startswith("Only 1 CPU is available to this process")
