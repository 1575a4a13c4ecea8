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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

__all__ = [
    "CLAIMED",
    "WORKER_COUNTS",
    "ProjectionPoint",
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

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def makespan(durations: Iterable[float], workers: int) -> float:
    """Seconds until the last task ends: longest first, each to the worker free soonest."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    ordered = sorted((max(0.0, float(d)) for d in durations), reverse=True)
    free_at = [0.0] * min(workers, len(ordered))
    for duration in ordered:
        heapq.heapreplace(free_at, free_at[0] + duration)
    return max(free_at, default=0.0)


def project(
    durations: Sequence[float],
    serial_s: float,
    workers: Iterable[int] = WORKER_COUNTS,
    measured: Mapping[int, float] | None = None,
    dispatch_s: float = 0.0,
) -> list[ProjectionPoint]:
    """Wall time and speedup (against the projection on one worker) for each worker count;
    ``measured`` wall times (workers -> seconds, serial part included) mark those counts."""
    seen = measured or {}
    costs = [d + dispatch_s for d in durations]
    one = serial_s + makespan(costs, 1)
    points = []
    for count in workers:
        wall = serial_s + makespan(costs, count)
        speedup = one / wall if wall else 0.0
        points.append(ProjectionPoint(count, wall, speedup, count in seen, seen.get(count)))
    return points


def claimed_table() -> list[dict[str, Any]]:
    """The replaced system's claimed seconds and the speedups they imply."""
    base = CLAIMED[1]
    return [
        {"workers": w, "wall_s": s, "speedup": round(base / s, 2)} for w, s in CLAIMED.items()
    ]


def bench_projection(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``bench``'s projection: its sequential run's task times (``task_seconds``; a result
    without them, its jobs' seconds), serial part and warm round trip;
    the sequential run, the parallel run and any sweep are the measured points."""
    serial = float(result["serial_s"])
    per_task = result.get("task_seconds") or {
        key: info["seconds"] for key, info in result["per_metric"].items()
    }
    durations = [float(seconds) for seconds in per_task.values()]
    measured = {1: serial + float(result["sequential_s"])}
    for row in result.get("scaling") or []:
        measured.setdefault(int(row["workers"]), serial + float(row["parallel_s"]))
    measured[int(result["workers"])] = serial + float(result["parallel_s"])
    points = project(durations, serial, measured=measured,
                     dispatch_s=float(result.get("pool_warm_s") or 0.0))
    return [p.to_dict() for p in points]
