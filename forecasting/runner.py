"""Forecast jobs over any ``concurrent.futures.Executor``: one job per metric, results as they come.

The worker function lives here, at module level, so process pools can pickle it; jobs and results
carry pandas/numpy data, never JSON strings.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import first_line
from .growth import derive_growth
from .kpis import NON_NEGATIVE
from .models import Forecast
from .selection import Selection, select_and_forecast

__all__ = [
    "ForecastJob",
    "MetricResult",
    "WarmPool",
    "make_process_pool",
    "run_job",
    "run_jobs",
    "worker_init",
]

_BLAS_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@dataclass(frozen=True)
class ForecastJob:
    """One metric to forecast: its monthly history and the settings that shape the forecast."""

    metric: str
    series: pd.Series
    horizon: int
    level: int
    derive: Literal["growth_rate"] | None = None


@dataclass(frozen=True)
class MetricResult:
    """What a job produced, or why it failed; with its timing and the process that ran it."""

    metric: str
    status: Literal["ok", "failed"]
    reason: str = ""
    selection: Selection | None = None
    started: float = 0.0
    finished: float = 0.0
    worker: int = 0
    family_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def run_job(job: ForecastJob) -> MetricResult:
    """The worker: select, refit and forecast one metric. Never raises; a failure is a result."""
    started = time.time()
    try:
        selection = select_and_forecast(job.series, job.horizon, job.level)
        if job.derive == "growth_rate":
            selection = derive_growth(selection, job.series)
        if job.metric in NON_NEGATIVE:
            selection = _floor_at_zero(selection)
        _check_finite(selection)
    except Exception as exc:  # per-job isolation: one metric failing never fails the batch
        return MetricResult(
            job.metric,
            "failed",
            first_line(exc, with_type=True),
            None,
            started,
            time.time(),
            os.getpid(),
        )
    return MetricResult(
        job.metric,
        "ok",
        "",
        selection,
        started,
        time.time(),
        os.getpid(),
        dict(selection.family_seconds),
    )


def _floor_at_zero(selection: Selection) -> Selection:
    """Revenue, receivables, days outstanding cannot be negative: neither can their bands."""
    fc = selection.forecast
    floored = Forecast(
        np.maximum(fc.mean, 0.0),
        {lv: (np.maximum(lo, 0.0), np.maximum(hi, 0.0)) for lv, (lo, hi) in fc.bands.items()},
    )
    return replace(selection, forecast=floored)


def _check_finite(selection: Selection) -> None:
    arrays = [selection.forecast.mean, *[b for p in selection.forecast.bands.values() for b in p]]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("the forecast holds non-finite numbers")


def run_jobs(
    jobs: Sequence[ForecastJob],
    executor: Executor | None = None,
    on_broken: Callable[[], Executor] | None = None,
) -> Iterator[MetricResult]:
    """Yield one result per job as each completes; in-process, one after another, without executor.

    If a worker process dies (``BrokenProcessPool`` on every pending future), ``on_broken`` is
    called for a fresh executor and the unfinished jobs are resubmitted once; without it, or if
    it breaks again, those metrics come back failed with the reason.
    """
    from threadpoolctl import threadpool_limits

    # In-process and thread runs fit in this process: with more BLAS threads than cores the
    # threads spin against each other (the seed sample took 92 s instead of 16 s on a busy
    # 2-core box). scipy loads its own BLAS on import, so import it before limiting.
    _import_model_libraries()
    with threadpool_limits(1):
        yield from _stream(jobs, executor, on_broken)


def _stream(
    jobs: Sequence[ForecastJob],
    executor: Executor | None,
    on_broken: Callable[[], Executor] | None,
) -> Iterator[MetricResult]:
    if executor is None:
        for job in jobs:
            yield run_job(job)
        return
    pending = list(jobs)
    for attempt in range(2):
        broken: list[ForecastJob] = []
        try:
            futures = _submit(executor, pending)
        except BrokenProcessPool:  # a worker died while the pool sat idle between runs
            futures, broken = {}, list(pending)
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except BrokenProcessPool:
                broken.append(job)
            except Exception as exc:  # e.g. a Dask worker lost: the job's result says so
                yield MetricResult(job.metric, "failed", first_line(exc, with_type=True))
        if not broken:
            return
        if attempt == 0 and on_broken is not None:
            executor, pending = on_broken(), broken
            continue
        for job in broken:
            yield MetricResult(job.metric, "failed", "a worker process died while fitting")
        return


def _submit(
    executor: Executor, jobs: Iterable[ForecastJob]
) -> dict[Future[MetricResult], ForecastJob]:
    return {executor.submit(run_job, job): job for job in jobs}


def worker_init() -> None:
    """Runs once in each worker: one BLAS thread (two workers must not fight over two cores),
    the model libraries imported, Prophet's chatter silenced, so the first job fits at once."""
    for var in _BLAS_VARS:
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    from .logging_setup import configure_logging
    from .models import silence_prophet

    configure_logging(worker=True)
    silence_prophet()
    _import_model_libraries()


def _import_model_libraries() -> None:
    import prophet  # noqa: F401
    import scipy.linalg  # noqa: F401
    import statsmodels.tsa.api  # noqa: F401


def _warm_up(_: int) -> int:
    """One tiny fit of each family, so Stan's model and statsmodels' code are loaded and hot."""
    index = pd.date_range("2020-01-01", periods=30, freq="MS")
    series = pd.Series(np.linspace(100, 130, 30) + 5 * np.sin(np.arange(30)), index=index)
    select_and_forecast(series, 2, 95)
    time.sleep(0.05)  # keep this worker busy so the next warm-up task starts another process
    return os.getpid()


@contextmanager
def plain_main() -> Iterator[None]:
    """Hide a Streamlit page from starting workers.

    While a page runs, Streamlit installs it as ``sys.modules["__main__"]``; forkserver and spawn
    children would re-run it as ``__mp_main__`` and die during bootstrapping. Workers started while
    a plain empty module stands in for ``__main__`` import only the engine.
    """
    original = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if original is not None:
            sys.modules["__main__"] = original


def make_process_pool(
    workers: int, start_method: str | None = None, warm: bool = True
) -> ProcessPoolExecutor:
    """A process pool with an explicit start method (forkserver on Linux) and warm workers."""
    method = start_method or ("forkserver" if sys.platform.startswith("linux") else "spawn")
    context: Any = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["forecasting.runner"])
    with plain_main():
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=worker_init)
        if warm:
            list(pool.map(_warm_up, range(workers)))
    return pool


class WarmPool:
    """Owns one warm process pool and replaces it when a worker dies."""

    def __init__(self, workers: int, start_method: str | None = None) -> None:
        self.workers = workers
        self.start_method = start_method
        started = time.perf_counter()
        self.executor = make_process_pool(workers, start_method)
        self.start_seconds = time.perf_counter() - started
        self.rebuilds = 0
        # Per-metric seconds of the last run, so the next run starts the longest jobs first.
        self.last_seconds: dict[str, float] = {}

    def rebuild(self) -> ProcessPoolExecutor:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = make_process_pool(self.workers, self.start_method)
        self.rebuilds += 1
        return self.executor

    def run(self, jobs: Sequence[ForecastJob]) -> Iterator[MetricResult]:
        """Run the jobs longest-first (by the last run's times), yielding results as they finish."""
        known = self.last_seconds
        ordered = sorted(jobs, key=lambda j: -known.get(j.metric, 0.0)) if known else list(jobs)
        for result in run_jobs(ordered, self.executor, on_broken=self.rebuild):
            if result.status == "ok":
                known[result.metric] = result.seconds
            yield result

    def ping_seconds(self) -> float:
        """Round trip of a trivial task through the warm pool: what a warm start costs."""
        started = time.perf_counter()
        self.executor.submit(os.getpid).result()
        return time.perf_counter() - started

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
