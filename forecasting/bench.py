"""Sequential vs parallel on the same jobs, data and warm pool, measured in one run, with the
CPU the run actually got (``machine``): a speedup on a busy machine says so."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .dask_cluster import DaskExecutor
from .machine import (
    CpuSnapshot,
    RunPair,
    cpus_available,
    load_average,
    machine_busy_seconds,
    speed_verdict,
)
from .pipeline import Prepared, RunTiming, analysis_of
from .pool import WorkerPool
from .report import build_report
from .report_types import Comparison, CpuFigures, MetricSplit, SpeedupFigures, SweepRow, TaskRow
from .runner import MetricResult, run_jobs, same_forecast, task_timeline
from .settings import DEFAULT_TIME_LIMIT

__all__ = [
    "compare", "forecasts_identical", "scaling_sweep", "task_seconds", "timeline", "warm_up"
]


@dataclass(frozen=True)
class _Side:
    """One timed run: its wall seconds, the CPU seconds its workers got, its results."""

    seconds: float
    cpu_seconds: float | None
    results: dict[str, MetricResult]
    # CPU seconds every other process on the machine used meanwhile (None where unknown).
    other_cpu_seconds: float | None = None
    # CPU seconds of this process, which hands out the tasks and takes in their results.
    caller_cpu_seconds: float = 0.0

    @property
    def other_cpus(self) -> float | None:
        """CPUs the machine's other processes took on average during the run."""
        if self.other_cpu_seconds is None or not self.seconds:
            return None
        return self.other_cpu_seconds / self.seconds

    @property
    def cpus(self) -> float | None:
        """CPUs the workers got on average during the run."""
        if self.cpu_seconds is None or not self.seconds:
            return None
        return self.cpu_seconds / self.seconds


def _run(
    prepared: Prepared,
    pool: WorkerPool | DaskExecutor,
    workers: int,
    time_limit: float,
    expected: Mapping[str, float] | None = None,
) -> _Side:
    """The jobs on at most ``workers`` of the pool's warm workers at once (1: one after another)."""
    before = _cpu_snapshot(pool)
    machine_before, own_before = machine_busy_seconds(), time.process_time()
    started = time.perf_counter()
    stream = run_jobs(
        prepared.jobs,
        pool,
        max_in_flight=workers,
        time_limit=time_limit,
        expected_seconds=expected,
    )
    results = {r.key: r for r in stream}
    seconds = time.perf_counter() - started
    machine_after, own = machine_busy_seconds(), time.process_time() - own_before
    after = _cpu_snapshot(pool)
    workers_cpu = after.since(before) if (after and before) else None
    others = None
    if workers_cpu is not None and machine_before is not None and machine_after is not None:
        # The machine's busy time less the workers' and this process's (which hands out tasks).
        others = max(0.0, machine_after - machine_before - workers_cpu - own)
    return _Side(seconds, workers_cpu, results, others, own)


def _cpu_snapshot(pool: WorkerPool | DaskExecutor) -> CpuSnapshot | None:
    """The CPU the pool's worker processes have used so far (None on a Dask cluster, whose
    workers may be on other machines)."""
    # Asked of the object, not its class: a dashboard that reloaded its modules keeps the pool
    # it started, an instance of the class as first imported.
    states = getattr(pool, "worker_states", None)
    return CpuSnapshot.of(states()) if callable(states) else None


def warm_up(
    prepared: Prepared, pool: WorkerPool | DaskExecutor, time_limit: float = DEFAULT_TIME_LIMIT
) -> None:
    """One untimed job with its fit pieces spread over every worker at once, so that neither
    timed side pays a first fit (code paths, caches) the other does not."""
    if not prepared.jobs:
        return
    for _ in run_jobs(prepared.jobs[:1], pool, max_in_flight=pool.size, time_limit=time_limit):
        pass


def forecasts_identical(
    a: dict[str, MetricResult], b: dict[str, MetricResult], tolerance: float = 1e-9
) -> bool:
    """True when both runs chose the same models and every forecast and band number matches."""
    return a.keys() == b.keys() and all(same_forecast(a[k], b[k], tolerance) for k in a)


def timeline(results: dict[str, MetricResult]) -> list[TaskRow]:
    """One bar per task: which worker process ran it, from when to when (seconds from the
    run's first start), for which job."""
    return task_timeline(results.values())


def task_seconds(results: dict[str, MetricResult]) -> dict[str, float]:
    """Each task's wall seconds by its key: what the next run's longest-first order and the
    projection start from."""
    return {t.key: t.finished - t.started for r in results.values() for t in r.tasks}


def _transfer_seconds(results: dict[str, MetricResult]) -> float:
    started = time.perf_counter()
    for result in results.values():
        pickle.loads(pickle.dumps(result))
    return time.perf_counter() - started


def _report_seconds(prepared: Prepared, results: dict[str, MetricResult]) -> float:
    started = time.perf_counter()
    analysis = analysis_of(prepared, results.values(), RunTiming("sequential", 1, 0.0))
    build_report(analysis, "finance_guardian")
    return time.perf_counter() - started


def compare(
    prepared: Prepared,
    pool: WorkerPool | DaskExecutor,
    workers: int,
    repeat: int = 1,
    on_phase: Callable[[str], None] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Comparison:
    """Run the same jobs one after another and on ``workers`` workers of the same warm pool,
    ``repeat`` times each, after one warm-up; medians compared. Both sides run in warm worker
    processes, so the caller's process (a dashboard server) fits nothing and stays free for
    other sessions. The result says how much CPU each side got and what the speedup measures."""
    say = on_phase or (lambda _: None)
    workers = min(workers, pool.size)
    load_before = load_average()
    say("warming every worker")
    warm_up(prepared, pool, time_limit)
    sequential: list[_Side] = []
    parallel: list[_Side] = []
    for k in range(repeat):
        say(f"sequential run {k + 1} of {repeat}")
        sequential.append(_run(prepared, pool, 1, time_limit))
        # Longest jobs first in the parallel run, by the times just measured, so that no worker
        # idles at the end while another finishes a long job it started last.
        expected = task_seconds(sequential[-1].results)
        say(f"parallel run {k + 1} of {repeat} on {workers} workers")
        parallel.append(_run(prepared, pool, workers, time_limit, expected))
    seq, par = _median(sequential), _median(parallel)
    measured_tasks = task_seconds(seq.results)
    return {
        **_speedups(prepared, seq, par, workers, len(measured_tasks)),
        **_cpu_figures(seq, par, workers, len(measured_tasks), load_before),
        "repeat": repeat,
        "sequential_runs_s": [round(side.seconds, 4) for side in sequential],
        "parallel_runs_s": [round(side.seconds, 4) for side in parallel],
        "pool_start_s": round(pool.start_seconds, 4),
        "pool_warm_s": round(pool.ping_seconds(), 4),
        "identical": forecasts_identical(sequential[-1].results, parallel[-1].results),
        # Which processes ran each side: pool workers, never the caller (a dashboard server).
        "sequential_workers": sorted(
            {t.worker for r in sequential[-1].results.values() for t in r.tasks}
        ),
        "per_metric": _per_metric(sequential[-1].results),
        # The sequential run's tasks, one at a time: what the projection schedules.
        "task_seconds": {k: round(v, 4) for k, v in measured_tasks.items()},
        "task_groups": {t.key: t.group for r in seq.results.values() for t in r.tasks},
        "timeline": timeline(parallel[-1].results),
    }


def _median(sides: list[_Side]) -> _Side:
    """The run of median wall time (the lower middle one of an even count)."""
    ordered = sorted(sides, key=lambda side: side.seconds)
    return ordered[(len(ordered) - 1) // 2]


def _per_metric(results: dict[str, MetricResult]) -> dict[str, MetricSplit]:
    return {
        m: {
            "seconds": round(r.seconds, 4),
            "tasks": len(r.tasks),
            "families": {f: round(s, 4) for f, s in r.family_seconds.items()},
            "model_family": r.selection.best if r.selection else None,
        }
        for m, r in results.items()
    }


def _cpu_figures(
    seq: _Side, par: _Side, workers: int, tasks: int, load_before: float | None
) -> CpuFigures:
    """The CPU each side got, the load around the runs and the headline that reads them."""
    available = cpus_available()
    used = min(workers, tasks)
    others = None if seq.other_cpus is None or par.other_cpus is None else max(
        seq.other_cpus, par.other_cpus)
    verdict = speed_verdict(
        RunPair(used, seq.seconds, par.seconds, seq.cpus, par.cpus, available, others))
    return {
        "cpus_available": available,
        "sequential_cpu_s": _round(seq.cpu_seconds),
        "parallel_cpu_s": _round(par.cpu_seconds),
        "sequential_caller_cpu_s": round(seq.caller_cpu_seconds, 4),
        "parallel_caller_cpu_s": round(par.caller_cpu_seconds, 4),
        "sequential_cpus": _round(seq.cpus, 2),
        "parallel_cpus": _round(par.cpus, 2),
        "other_cpus": _round(others, 2),
        "load_before": load_before,
        "load_after": load_average(),
        "verdict": verdict.kind,
        "headline": verdict.headline,
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _speedups(
    prepared: Prepared, seq: _Side, par: _Side, workers: int, tasks: int
) -> SpeedupFigures:
    """Speedup, efficiency and the Amdahl bound from the measured serial part."""
    seq_s, par_s = seq.seconds, par.seconds
    seq_results, par_results = seq.results, par.results
    report_s = _report_seconds(prepared, seq_results)
    transfer_s = _transfer_seconds(par_results)
    serial_s = prepared.seconds + report_s + transfer_s
    jobs = len(prepared.jobs)
    spread = max(1, min(workers, tasks))  # no more workers busy than there are tasks
    serial_fraction = serial_s / (serial_s + seq_s)
    speedup = seq_s / par_s if par_s else 0.0
    return {
        "jobs": jobs,
        "workers": workers,
        "cpu_count": os.cpu_count() or 1,
        "sequential_s": round(seq_s, 4),
        "parallel_s": round(par_s, 4),
        "speedup": round(speedup, 3),
        "efficiency": round(speedup / workers, 3),
        "tasks": tasks,
        "ideal_speedup": spread,
        # The Amdahl bound is for the whole request (serial part + jobs), so compare it with the
        # end-to-end speedup; `speedup` is the jobs alone, which the serial part does not slow.
        "end_to_end_speedup": round((serial_s + seq_s) / (serial_s + par_s), 3) if par_s else 0.0,
        "amdahl_bound": round(
            1 / (serial_fraction + (1 - serial_fraction) / spread), 3
        ),
        "serial_s": round(serial_s, 4),
        "serial_parts_s": {
            "ingest_and_kpis": round(prepared.seconds, 4),
            "report_assembly": round(report_s, 4),
            "result_transfer": round(transfer_s, 4),
        },
    }


def scaling_sweep(
    prepared: Prepared,
    pool: WorkerPool | DaskExecutor,
    worker_counts: Sequence[int],
    on_phase: Callable[[str], None] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> list[SweepRow]:
    """Wall time on 1, 2, ... of the pool's warm workers, against one run on a single worker,
    with the CPUs each run got.

    Counts above the pool's size are left out: one pool serves the whole sweep, so no cold
    start is measured and no extra processes are started."""
    say = on_phase or (lambda _: None)
    say("warming every worker")
    warm_up(prepared, pool, time_limit)
    say("one worker, one job after another")
    baseline = _run(prepared, pool, 1, time_limit)
    rows: list[SweepRow] = []
    for workers in (w for w in worker_counts if w <= pool.size):
        say(f"{workers} workers" if workers > 1 else "1 worker")
        side = _run(prepared, pool, workers, time_limit)
        rows.append(
            {
                "sequential_s": round(baseline.seconds, 4),
                "workers": workers,
                "parallel_s": round(side.seconds, 4),
                "speedup": round(baseline.seconds / side.seconds, 3),
                "ideal": min(workers, max(1, len(task_seconds(baseline.results)))),
                "cpus": _round(side.cpus, 2),
                "other_cpus": _round(side.other_cpus, 2),
            }
        )
    return rows
