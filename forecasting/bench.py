"""Sequential vs parallel on the same jobs, data and warm pool, measured in one run."""

from __future__ import annotations

import os
import pickle
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .dask_cluster import DaskExecutor
from .pipeline import Prepared, RunTiming, analysis_of
from .pool import WorkerPool
from .report import build_report
from .runner import MetricResult, run_jobs
from .settings import DEFAULT_TIME_LIMIT

__all__ = ["compare", "forecasts_identical", "scaling_sweep", "timeline"]


def _run(
    prepared: Prepared,
    pool: WorkerPool | DaskExecutor,
    workers: int,
    time_limit: float,
    expected: Mapping[str, float] | None = None,
) -> tuple[float, dict[str, MetricResult]]:
    """The jobs on at most ``workers`` of the pool's warm workers at once (1: one after another)."""
    started = time.perf_counter()
    stream = run_jobs(
        prepared.jobs,
        pool,
        max_in_flight=workers,
        time_limit=time_limit,
        expected_seconds=expected,
    )
    results = {r.key: r for r in stream}
    return time.perf_counter() - started, results


def forecasts_identical(
    a: dict[str, MetricResult], b: dict[str, MetricResult], tolerance: float = 1e-9
) -> bool:
    """True when both runs chose the same models and every forecast number matches."""
    if a.keys() != b.keys():
        return False
    for metric, left in a.items():
        right = b[metric]
        if (left.selection is None) != (right.selection is None):
            return False
        if left.selection is None or right.selection is None:
            continue
        fl, fr = left.selection.forecast, right.selection.forecast
        if left.selection.best != right.selection.best or not np.allclose(
            fl.mean, fr.mean, rtol=0, atol=tolerance * max(1.0, float(np.abs(fl.mean).max()))
        ):
            return False
        for level, (lo, hi) in fl.bands.items():
            scale = tolerance * max(1.0, float(np.abs(hi).max()))
            if not (
                np.allclose(lo, fr.bands[level][0], rtol=0, atol=scale)
                and np.allclose(hi, fr.bands[level][1], rtol=0, atol=scale)
            ):
                return False
    return True


def timeline(results: dict[str, MetricResult]) -> list[dict[str, Any]]:
    """One bar per job: which worker process ran it, from when to when (seconds from the start)."""
    origin = min(r.started for r in results.values())
    return [
        {
            "metric": r.metric,
            "worker": r.worker,
            "start": round(r.started - origin, 4),
            "end": round(r.finished - origin, 4),
        }
        for r in sorted(results.values(), key=lambda r: r.started)
    ]


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
) -> dict[str, Any]:
    """Run the same jobs one after another and on ``workers`` workers of the same warm pool,
    ``repeat`` times each; medians compared. Both sides run in warm worker processes, so the
    caller's process (a dashboard server) fits nothing and stays free for other sessions."""
    say = on_phase or (lambda _: None)
    workers = min(workers, pool.size)
    sequential: list[float] = []
    parallel: list[float] = []
    seq_results: dict[str, MetricResult] = {}
    par_results: dict[str, MetricResult] = {}
    for k in range(repeat):
        say(f"sequential run {k + 1} of {repeat}")
        seconds, seq_results = _run(prepared, pool, 1, time_limit)
        sequential.append(seconds)
        # Longest jobs first in the parallel run, by the times just measured, so that no worker
        # idles at the end while another finishes a long job it started last.
        expected = {m: r.seconds for m, r in seq_results.items()}
        say(f"parallel run {k + 1} of {repeat} on {workers} workers")
        seconds, par_results = _run(prepared, pool, workers, time_limit, expected)
        parallel.append(seconds)
    return {
        **_speedups(prepared, statistics.median(sequential), statistics.median(parallel),
                    workers, seq_results, par_results),
        "repeat": repeat,
        "sequential_runs_s": [round(s, 4) for s in sequential],
        "parallel_runs_s": [round(s, 4) for s in parallel],
        "pool_start_s": round(pool.start_seconds, 4),
        "pool_warm_s": round(pool.ping_seconds(), 4),
        "identical": forecasts_identical(seq_results, par_results),
        # Which processes ran each side: pool workers, never the caller (a dashboard server).
        "sequential_workers": sorted({r.worker for r in seq_results.values()}),
        "per_metric": {
            m: {
                "seconds": round(r.seconds, 4),
                "families": {f: round(s, 4) for f, s in r.family_seconds.items()},
                "model_family": r.selection.best if r.selection else None,
            }
            for m, r in seq_results.items()
        },
        "timeline": timeline(par_results),
    }


def _speedups(
    prepared: Prepared,
    seq_s: float,
    par_s: float,
    workers: int,
    seq_results: dict[str, MetricResult],
    par_results: dict[str, MetricResult],
) -> dict[str, Any]:
    """Speedup, efficiency and the Amdahl bound from the measured serial part."""
    report_s = _report_seconds(prepared, seq_results)
    transfer_s = _transfer_seconds(par_results)
    serial_s = prepared.seconds + report_s + transfer_s
    jobs = len(prepared.jobs)
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
        "ideal_speedup": min(workers, jobs),
        # The Amdahl bound is for the whole request (serial part + jobs), so compare it with the
        # end-to-end speedup; `speedup` is the jobs alone, which the serial part does not slow.
        "end_to_end_speedup": round((serial_s + seq_s) / (serial_s + par_s), 3) if par_s else 0.0,
        "amdahl_bound": round(
            1 / (serial_fraction + (1 - serial_fraction) / min(workers, jobs)), 3
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
) -> list[dict[str, Any]]:
    """Wall time on 1, 2, ... of the pool's warm workers, against one run on a single worker.

    Counts above the pool's size are left out: one pool serves the whole sweep, so no cold
    start is measured and no extra processes are started."""
    say = on_phase or (lambda _: None)
    say("one worker, one job after another")
    baseline, _ = _run(prepared, pool, 1, time_limit)
    rows = []
    for workers in (w for w in worker_counts if w <= pool.size):
        say(f"{workers} worker(s)")
        seconds, _ = _run(prepared, pool, workers, time_limit)
        rows.append(
            {
                "sequential_s": round(baseline, 4),
                "workers": workers,
                "parallel_s": round(seconds, 4),
                "speedup": round(baseline / seconds, 3),
                "ideal": min(workers, len(prepared.jobs)),
            }
        )
    return rows
