"""Projected scaling: the wall time and speedup a run's measured tasks would take on 1 to 64
workers, beside the replaced system's claimed table.

The model is the runner's own scheduling: tasks go out longest first, each to the worker that
is free soonest (``tasks.run_tasks`` with ``max_in_flight`` = workers), each costing its measured
seconds plus one dispatch round trip; the measured serial part (ingest, KPIs, report assembly,
result transfer) is added once. It is written over a plain list of task durations, so a run of
one task per metric and a run of finer tasks project the same way.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from .report_types import ClaimedRow, Comparison, ProjectionRow, SweepRow

__all__ = [
    "CLAIMED",
    "WORKER_COUNTS",
    "ProjectionPoint",
    "TaskCost",
    "bench_projection",
    "claimed_table",
    "makespan",
    "project",
]

WORKER_COUNTS: Final = tuple(range(1, 65))
CLAIMED: Final[dict[int, float]] = {1: 280.0, 8: 60.0, 12: 45.0, 16: 35.0, 32: 24.0}
"""The replaced system's own table: seconds for its report on 1, 8, 12, 16 and 32 cores."""


@dataclass(frozen=True)
class ProjectionPoint:
    """Projected wall time on ``workers``; ``measured`` when that count was also run here."""

    workers: int
    wall_s: float
    speedup: float
    measured: bool
    measured_wall_s: float | None = None

    def to_dict(self) -> ProjectionRow:
        measured_wall = self.measured_wall_s
        return {
            "workers": self.workers,
            "wall_s": round(self.wall_s, 4),
            "speedup": round(self.speedup, 4),
            "measured": self.measured,
            "measured_wall_s": None if measured_wall is None else round(measured_wall, 4),
        }


COMBINE_SUFFIX: Final = ":combine"


@dataclass(frozen=True)
class TaskCost:
    """A measured task: its seconds, its series' task group, and whether it is a combination,
    which waits until every fit of its group is done (as the runner hands it out)."""

    seconds: float
    group: str = ""
    waits_for_group: bool = False

    @classmethod
    def of(cls, key: str, seconds: float, group: str = "") -> TaskCost:
        return cls(float(seconds), group, bool(group) and key.endswith(COMBINE_SUFFIX))


def makespan(tasks: Iterable[float | TaskCost], workers: int) -> float:
    """Seconds until the last task ends when each free worker takes the longest task that is
    ready: every fit at once, a combination once its group's fits are all done."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    items = [t if isinstance(t, TaskCost) else TaskCost(float(t)) for t in tasks]
    fits_left = Counter(t.group for t in items if not t.waits_for_group)
    waiting: dict[str, list[int]] = defaultdict(list)
    ready: list[tuple[float, int]] = []  # (-seconds, index): longest first
    for i, task in enumerate(items):
        if task.waits_for_group and fits_left[task.group]:
            waiting[task.group].append(i)
        else:
            heapq.heappush(ready, (-max(0.0, task.seconds), i))
    running: list[tuple[float, int]] = []  # (finish time, index)
    now, free = 0.0, workers
    while ready or running:
        while free and ready:
            seconds, i = heapq.heappop(ready)
            heapq.heappush(running, (now - seconds, i))
            free -= 1
        now, i = heapq.heappop(running)
        free += 1
        done = items[i]
        if not done.waits_for_group:
            fits_left[done.group] -= 1
            if not fits_left[done.group]:
                for j in waiting.pop(done.group, []):
                    heapq.heappush(ready, (-max(0.0, items[j].seconds), j))
    return now


def project(
    durations: Sequence[float | TaskCost],
    serial_s: float,
    workers: Iterable[int] = WORKER_COUNTS,
    measured: Mapping[int, float] | None = None,
    dispatch_s: float = 0.0,
    caller_cpu_s: float = 0.0,
    cpus: int | None = None,
) -> list[ProjectionPoint]:
    """Wall time and speedup (against the projection on one worker) for each worker count;
    ``measured`` wall times (workers -> seconds, serial part included) mark those counts.

    ``caller_cpu_s``: the CPU the process handing out the tasks spends in a run. On a machine of
    ``cpus`` CPUs it has one of its own below that many workers; from that many on (and beyond
    this machine, on one of a CPU per worker) it takes its CPU out of the workers', a share
    each."""
    seen = measured or {}
    costs = [
        replace(d, seconds=d.seconds + dispatch_s) if isinstance(d, TaskCost)
        else float(d) + dispatch_s
        for d in durations
    ]
    one = serial_s + makespan(costs, 1)
    points = []
    for count in workers:
        shared = cpus is not None and count >= cpus
        wall = serial_s + makespan(costs, count) + (caller_cpu_s / count if shared else 0.0)
        speedup = one / wall if wall else 0.0
        points.append(ProjectionPoint(count, wall, speedup, count in seen, seen.get(count)))
    return points


def claimed_table() -> list[ClaimedRow]:
    """The replaced system's claimed seconds and the speedups they imply."""
    base = CLAIMED[1]
    return [
        {"workers": w, "wall_s": s, "speedup": round(base / s, 2)} for w, s in CLAIMED.items()
    ]


def bench_projection(
    result: Comparison, sweep: Sequence[SweepRow] | None = None
) -> list[ProjectionRow]:
    """``bench``'s projection: its sequential run's task times (``task_seconds``, with their
    groups in ``task_groups``) and serial part, each task costing the hand-out overhead that
    run measured beyond the tasks' own seconds; the sequential run, the parallel run and any
    ``sweep`` are the measured points; the caller's CPU in the parallel run, with the CPUs this
    process had, says what handing out the tasks takes from the workers."""
    serial = float(result["serial_s"])
    per_task, groups = result["task_seconds"], result["task_groups"]
    tasks = [TaskCost.of(key, seconds, groups.get(key, "")) for key, seconds in per_task.items()]
    measured = {1: serial + float(result["sequential_s"])}
    for row in sweep or ():
        measured.setdefault(int(row["workers"]), serial + float(row["parallel_s"]))
    measured[int(result["workers"])] = serial + float(result["parallel_s"])
    overhead = (float(result["sequential_s"]) - sum(t.seconds for t in tasks)) / max(1, len(tasks))
    dispatch = max(float(result.get("pool_warm_s") or 0.0), overhead)
    points = project(tasks, serial, measured=measured, dispatch_s=dispatch,
                     caller_cpu_s=float(result["parallel_caller_cpu_s"]),
                     cpus=int(result["cpus_available"]))
    return [p.to_dict() for p in points]
