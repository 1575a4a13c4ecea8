"""What the machine gave a timed run: the CPU time its worker processes got against the wall
time, the load average around it, the CPUs this process may use — and the one sentence that says
whether a measured speedup is a measure of the engine or of a busy machine.

A speedup alone cannot tell "the engine scales" from "other processes held the CPUs": two workers
that get 1.1 CPUs between them finish about 1.1x faster whatever the engine does. The CPU the
workers actually got, and the CPU every other process on the machine used meanwhile, tell them
apart: workers short of CPU on an otherwise quiet machine were waiting for work (small tasks
being handed out, a series' last fit), which is the engine's own cost, not a busy machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from .formatting import count

__all__ = [
    "BUSY_SHARE",
    "OTHERS_BUSY",
    "CpuSnapshot",
    "RunPair",
    "SpeedVerdict",
    "cpus_available",
    "load_average",
    "machine_busy_seconds",
    "process_cpu_seconds",
    "speed_verdict",
]

Verdict = Literal["clean", "busy", "few_cpus", "slower_work", "above_workers"]

# A side that got less than this share of the CPUs it could use ran on a busy machine. Measured
# here on an idle 2-core machine: the one-after-another side gets ~0.97 of a CPU, 2 workers
# ~1.9 (the last job runs alone for a moment).
BUSY_SHARE: Final = 0.8
# Parallel jobs needing this much more CPU time than the same jobs one after another did their
# work more slowly (CPUs that share a physical core, memory or cache contention).
SLOWER_WORK: Final = 1.25
# Other processes using this many CPUs on average during a run made the machine busy; an idle
# machine's own daemons use a few hundredths of one.
OTHERS_BUSY: Final = 0.25
# A speedup this far above the worker count is a measurement artefact, not parallelism.
ABOVE_WORKERS: Final = 1.05
_TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpus_available() -> int:
    """CPUs this process may run on (its affinity mask), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux: the machine's count is the best there is
        return os.cpu_count() or 1


def load_average() -> float | None:
    """The one-minute load average, or None where the system has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process and of the children it waited for (Prophet's Stan
    runs are such children), from /proc; None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state is field 3, utime..cstime are fields 14..17.
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / _TICKS


def machine_busy_seconds() -> float | None:
    """CPU seconds every process on the machine has used since boot (all CPUs; time stolen by a
    hypervisor counts as used), from /proc/stat; None where it cannot be read."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    values = [int(v) for v in fields[1:9]] + [0] * (9 - len(fields))
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / _TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds of each worker process at one moment."""

    seconds: dict[int, float]

    @classmethod
    def of(cls, pids: Iterable[int]) -> CpuSnapshot | None:
        seconds = {pid: process_cpu_seconds(pid) for pid in pids}
        known = {pid: s for pid, s in seconds.items() if s is not None}
        return cls(known) if known else None

    def since(self, before: CpuSnapshot | None) -> float | None:
        """CPU seconds used since ``before``; a worker started meanwhile counts from zero."""
        if before is None:
            return None
        return sum(s - before.seconds.get(pid, 0.0) for pid, s in self.seconds.items())


@dataclass(frozen=True)
class SpeedVerdict:
    kind: Verdict
    headline: str


@dataclass(frozen=True)
class RunPair:
    """A comparison's two runs as measured: ``workers`` in parallel against one after another.

    ``seq_cpus`` and ``par_cpus`` are the CPUs each side's workers got on average (CPU seconds
    over wall seconds; None where unknown); ``available`` the CPUs this process may use;
    ``other_cpus`` the CPUs every other process used meanwhile (None where unknown: a
    shortfall then counts as a busy machine)."""

    workers: int
    seq_s: float
    par_s: float
    seq_cpus: float | None
    par_cpus: float | None
    available: int
    other_cpus: float | None = None

    @property
    def speedup(self) -> float:
        return self.seq_s / self.par_s if self.par_s else 0.0

    @property
    def times(self) -> str:
        return f"{self.par_s:.1f} s in parallel against {self.seq_s:.1f} s one after another"

    @property
    def short(self) -> bool:
        """A side's workers got less than ``BUSY_SHARE`` of the CPUs they could use."""
        return self.par_cpus is not None and self.seq_cpus is not None and (
            self.par_cpus < BUSY_SHARE * self.workers or self.seq_cpus < BUSY_SHARE)


def speed_verdict(run: RunPair) -> SpeedVerdict:
    """One sentence with the two times that says what the speedup measures."""
    verdict = _verdict(run)
    if run.short and verdict.kind != "busy" and verdict.kind != "few_cpus":
        # Nothing else held the CPUs: the workers waited for work, the engine's own cost.
        busy = (run.par_cpus or 0.0) / run.workers
        return SpeedVerdict(
            verdict.kind,
            f"{verdict.headline} No other process held the CPUs; the workers were at work "
            f"{busy:.0%} of the time and waited for their next task the rest (small tasks "
            "handed out one by one, a series' last fits).",
        )
    return verdict


def _verdict(run: RunPair) -> SpeedVerdict:
    workers, speedup, times = run.workers, run.speedup, run.times
    if run.available < workers:
        return SpeedVerdict(
            "few_cpus",
            f"Only {count(run.available, 'CPU')} {'is' if run.available == 1 else 'are'} "
            f"available to this process, so {workers} workers cannot all run at once: "
            f"{speedup:.1f}x ({times}).",
        )
    if run.par_cpus is not None and run.seq_cpus is not None:
        if run.short and (run.other_cpus is None or run.other_cpus >= OTHERS_BUSY):
            others = "" if run.other_cpus is None else (
                f"; other processes used {run.other_cpus:.1f} CPUs meanwhile")
            return SpeedVerdict(
                "busy",
                f"The machine was busy: the workers got {run.par_cpus:.1f} of {workers} CPUs "
                f"(one after another: {run.seq_cpus:.1f} of 1{others}), so the speedup of "
                f"{speedup:.1f}x ({times}) is not a measure of the engine.",
            )
        work = (run.par_cpus * run.par_s) / (run.seq_cpus * run.seq_s) \
            if run.seq_s and run.seq_cpus else 1.0
        if work > SLOWER_WORK and speedup < workers:
            return SpeedVerdict(
                "slower_work",
                f"The workers got {run.par_cpus:.1f} of {workers} CPUs but the jobs needed "
                f"{work:.1f}x the CPU time they need one after another (CPUs that share a core, "
                f"or memory contention): {speedup:.1f}x ({times}).",
            )
    if speedup > ABOVE_WORKERS * workers:
        return SpeedVerdict(
            "above_workers",
            f"{workers} workers finished {speedup:.1f}x faster ({times}): more than {workers} "
            "workers can give, so part of it is the measurement (the one-after-another run was "
            f"slowed), not the engine; read it as at most {workers}x.",
        )
    if speedup < 1:
        return SpeedVerdict("slower_work", f"{workers} workers were not faster than one: {times}.")
    return SpeedVerdict("clean", f"{workers} workers finished {speedup:.1f}x faster: {times}.")
