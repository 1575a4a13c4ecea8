"""Forecast jobs: one per metric, run as generic tasks over any ``concurrent.futures.Executor``.

The worker function lives here, at module level, so process pools can pickle it; jobs and results
carry pandas/numpy data, never JSON strings. Retries, time limits and longest-first ordering are
``tasks.run_tasks``'s; the engine's process pool is ``make_worker_pool``.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Final, Literal

import numpy as np
import pandas as pd

from .errors import first_line
from .growth import derive_growth
from .kpis import NON_NEGATIVE
from .logging_setup import logger
from .models import Forecast
from .pool import WorkerPool
from .selection import Selection, select_and_forecast
from .tasks import DEFAULT_TIME_LIMIT, Task, TaskOutcome, run_tasks

__all__ = [
    "ForecastJob",
    "MetricResult",
    "job_tasks",
    "make_worker_pool",
    "run_job",
    "run_jobs",
    "worker_init",
    "worker_start",
]

_BLAS_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
# Relative cost of a job by what it fits, for longest-first ordering before any run has been
# timed: growth_rate refits revenue's candidates, and every job costs about the same otherwise.
_DEFAULT_COST: Final = {"growth_rate": 1.1}


@dataclass(frozen=True)
class ForecastJob:
    """One metric to forecast: its monthly history and the settings that shape the forecast."""

    metric: str
    series: pd.Series
    horizon: int
    level: int
    derive: Literal["growth_rate"] | None = None
    # Whose series this is in a per-entity forecast ("NAM", "NAM / R&D"); None: the company's.
    entity: str | None = None

    @property
    def key(self) -> str:
        """Unique within a run: the metric, prefixed by its entity in per-entity forecasts."""
        return self.metric if self.entity is None else f"{self.entity}: {self.metric}"


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
    entity: str | None = None
    host: str = ""  # the machine the worker ran on (a Dask cluster spans several)

    @property
    def key(self) -> str:
        """Its job's key: the metric, prefixed by its entity in per-entity forecasts."""
        return self.metric if self.entity is None else f"{self.entity}: {self.metric}"

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
            entity=job.entity,
            host=socket.gethostname(),
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
        job.entity,
        socket.gethostname(),
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


def job_tasks(
    jobs: Sequence[ForecastJob],
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    expected_seconds: Mapping[str, float] | None = None,
) -> list[Task]:
    """Each metric job as a generic task: ``run_job`` on it, its expected seconds, the limit."""
    costs = expected_seconds or {}
    return [
        Task(job.key, run_job, (job,), costs.get(job.key, _DEFAULT_COST.get(job.metric, 1.0)),
             time_limit)
        for job in jobs
    ]


def run_jobs(
    jobs: Sequence[ForecastJob],
    executor: Executor | None = None,
    *,
    max_in_flight: int | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    expected_seconds: Mapping[str, float] | None = None,
) -> Iterator[MetricResult]:
    """Yield one result per job as each completes; in-process, one after another, without an
    executor. Longest expected first; see ``tasks.run_tasks`` for time limits and retries.

    A job that fails for any reason (its series, a dead worker, its time limit) comes back
    ``failed`` with the reason; the other jobs are never affected.
    """
    tasks = job_tasks(jobs, time_limit, expected_seconds)
    by_key = {job.key: job for job in jobs}
    with _one_blas_thread_here(executor):
        for outcome in run_tasks(tasks, executor, max_in_flight=max_in_flight):
            result = _as_result(outcome, by_key[outcome.key])
            _log(result)
            yield result


@contextmanager
def _one_blas_thread_here(executor: Executor | None) -> Iterator[None]:
    """In-process and thread runs fit in this process: with more BLAS threads than cores the
    threads spin against each other (the seed sample took 92 s instead of 16 s on a busy 2-core
    box). scipy loads its own BLAS on import, so import it before limiting. Runs on processes
    leave this process alone: a server need not even load the model libraries."""
    if executor is not None and not isinstance(executor, ThreadPoolExecutor):
        yield
        return
    from threadpoolctl import threadpool_limits

    _import_model_libraries()
    with threadpool_limits(1):
        yield


def _log(result: MetricResult) -> None:
    model = result.selection.best_name if result.selection else None
    logger.bind(
        event="job",
        metric=result.metric,
        entity=result.entity,
        outcome=result.status,
        seconds=round(result.seconds, 4),
        model=model,
        pid=result.worker,
        reason=result.reason,
    ).log(
        "INFO" if result.status == "ok" else "WARNING",
        f"{result.key}: {result.status} in {result.seconds:.2f} s"
        + (f" ({result.reason})" if result.reason else f", {model}"),
    )


def _as_result(outcome: TaskOutcome, job: ForecastJob) -> MetricResult:
    if outcome.ok and isinstance(outcome.value, MetricResult):
        return outcome.value
    reason = outcome.reason or f"the worker returned {type(outcome.value).__name__}"
    return MetricResult(
        job.metric,
        "failed",
        reason,
        None,
        outcome.started,
        outcome.finished,
        outcome.worker,
        entity=job.entity,
    )


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


def _warm_up() -> None:
    """One tiny fit of each family, so Stan's model and statsmodels' code are loaded and hot."""
    index = pd.date_range("2020-01-01", periods=30, freq="MS")
    series = pd.Series(np.linspace(100, 130, 30) + 5 * np.sin(np.arange(30)), index=index)
    select_and_forecast(series, 2, 95)


def worker_start() -> None:
    """A pool worker's set-up before its first job: ``worker_init``, then one warm-up fit."""
    worker_init()
    _warm_up()


def make_worker_pool(workers: int, *, warm: bool = True, wait_ready: bool = True) -> WorkerPool:
    """The engine's process pool: forkserver children that preload the engine, one BLAS thread
    each, the model libraries imported and (``warm``) one fit done before the first job."""
    return WorkerPool(
        workers,
        initializer=worker_start if warm else worker_init,
        preload=("forecasting.runner",),
        wait_ready=wait_ready,
    )
