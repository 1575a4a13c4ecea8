"""Forecast jobs (one per metric) run as many small tasks over any ``concurrent.futures.Executor``.

A job's series is backtested and fitted in pieces (``fits.py``: a family's backtest, its folds
or its final fit), each its own task, so one report spreads over far more workers than it has
metrics; when a series' pieces are in, each metric on it gets one small task that combines,
calibrates and finishes its forecast (``metric.py``). Jobs on the same series (growth_rate is
revenue's) share its fits. Retries, time limits and longest-first ordering are
``tasks.run_tasks``'s; the engine's process pool is ``make_worker_pool``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .formatting import count
from .logging_setup import logger
from .pool import WorkerPool
from .report_types import TaskRow
from .schedule import JobPlan, TaskTiming
from .selection import Selection, select_and_forecast
from .tasks import DEFAULT_TIME_LIMIT, run_tasks

__all__ = [
    "ForecastJob",
    "MetricResult",
    "TaskTiming",
    "make_worker_pool",
    "run_job",
    "run_jobs",
    "same_forecast",
    "task_timeline",
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


@dataclass(frozen=True)
class ForecastJob:
    """One metric to forecast: its monthly history and the settings that shape the forecast.
    ``level`` is the band the report shows first; both bands are always computed."""

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
    """What a job produced, or why it failed.

    ``started``/``finished``/``worker``: the job's last step, its combination, and the worker
    process that ran it; ``tasks``: every task the job ran (its fits and that last step; a job
    sharing another's series, as growth_rate shares revenue's, runs only its last step);
    ``family_seconds``: CPU seconds of its fits per model family."""

    metric: str
    status: Literal["ok", "failed"]
    reason: str = ""
    selection: Selection | None = None
    started: float = 0.0
    finished: float = 0.0
    worker: int = 0
    family_seconds: dict[str, float] = field(default_factory=dict)
    tasks: tuple[TaskTiming, ...] = ()
    entity: str | None = None
    host: str = ""  # the machine its last step ran on (a Dask cluster spans several)

    @property
    def key(self) -> str:
        """Its job's key: the metric, prefixed by its entity in per-entity forecasts."""
        return self.metric if self.entity is None else f"{self.entity}: {self.metric}"

    @property
    def first_started(self) -> float:
        """When the job's first task started (its fits, or its combination alone)."""
        return min((t.started for t in self.tasks), default=self.started)

    @property
    def seconds(self) -> float:
        """Wall seconds of the job's tasks added up: what it costs run one task at a time
        (growth_rate, which shares revenue's fits, costs its combination alone)."""
        if not self.tasks:
            return self.finished - self.started
        return sum(t.finished - t.started for t in self.tasks)

    @property
    def cpu_seconds(self) -> float:
        """CPU of every task the job ran (Prophet's Stan processes included)."""
        return sum(t.cpu_seconds for t in self.tasks)


def run_jobs(
    jobs: Sequence[ForecastJob],
    executor: Executor | None = None,
    *,
    max_in_flight: int | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    expected_seconds: Mapping[str, float] | None = None,
) -> Iterator[MetricResult]:
    """Yield one result per job as each completes; in-process, one task after another, without
    an executor. Longest expected task first (``expected_seconds``: by task key, as
    ``task_timeline`` names them, or by metric); see ``tasks.run_tasks`` for limits and retries.

    A job that fails for any reason (its series, a dead worker, a task past its time limit)
    comes back ``failed`` with the reason; the other jobs are never affected.
    """
    plan = JobPlan(jobs, time_limit, expected_seconds or {})
    with _one_blas_thread_here(executor):
        for failed in plan.refused:
            job = failed.job
            yield _logged(MetricResult(job.metric, "failed", failed.reason, entity=job.entity))
        stream = run_tasks(
            plan.tasks, executor, max_in_flight=max_in_flight, follow_up=plan.follow_up
        )
        for outcome in stream:
            for done in plan.take(outcome):
                yield _logged(
                    MetricResult(
                        done.job.metric, "ok" if done.selection else "failed", done.reason,
                        done.selection, done.started, done.finished, done.worker,
                        dict(done.family_seconds), done.tasks, done.job.entity, done.host,
                    )
                )


def run_job(job: ForecastJob) -> MetricResult:
    """One job in this process, start to finish (never raises; a failure is a result)."""
    return next(iter(run_jobs([job])))


def task_timeline(
    results: Iterable[MetricResult], origin: float | None = None
) -> list[TaskRow]:
    """One row per task a run executed, in start order: its key, the job it served (metric, or
    "ENTITY: metric"), the worker process, start and end in seconds from ``origin`` (default:
    the run's first start), its CPU seconds."""
    tasks = sorted((t for r in results for t in r.tasks), key=lambda t: (t.started, t.key))
    if origin is None:
        origin = min((t.started for t in tasks), default=0.0)
    return [
        {
            "key": t.key,
            "metric": t.metric,
            "worker": t.worker,
            "start": round(t.started - origin, 4),
            "end": round(t.finished - origin, 4),
            "cpu_s": round(t.cpu_seconds, 4),
            "group": t.group,
        }
        for t in tasks
    ]


def same_forecast(a: MetricResult, b: MetricResult, tolerance: float = 1e-9) -> bool:
    """Whether two results ship the same forecast: both failed, or the same model and every
    number of the forecast and of both its bands within ``tolerance`` of its scale."""
    if (a.selection is None) or (b.selection is None):
        return (a.selection is None) and (b.selection is None)
    left, right = a.selection, b.selection
    if left.best != right.best or list(left.dates) != list(right.dates):
        return False
    pairs = [(left.forecast.mean, right.forecast.mean)]
    for level, (lo, hi) in left.forecast.bands.items():
        if level not in right.forecast.bands:
            return False
        pairs += [(lo, right.forecast.bands[level][0]), (hi, right.forecast.bands[level][1])]
    return all(
        x.shape == y.shape
        and bool(np.allclose(x, y, rtol=0, atol=tolerance * max(1.0, float(np.abs(x).max()))))
        for x, y in pairs
    )


def _logged(result: MetricResult) -> MetricResult:
    model = result.selection.best_name if result.selection else None
    logger.bind(
        event="job",
        metric=result.metric,
        entity=result.entity,
        outcome=result.status,
        seconds=round(result.seconds, 4),
        cpu_seconds=round(result.cpu_seconds, 4),
        tasks=len(result.tasks),
        model=model,
        pid=result.worker,
        reason=result.reason,
    ).log(
        "INFO" if result.status == "ok" else "WARNING",
        f"{result.key}: {result.status}, {count(len(result.tasks), 'task')}, "
        f"{result.cpu_seconds:.2f} s CPU"
        + (f" ({result.reason})" if result.reason else f", {model}"),
    )
    return result


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


_warm = False  # this process (or the template it was forked from) has done the warm-up fit


def _warm_up() -> None:
    """One tiny fit of each family, so Stan's model and statsmodels' code are loaded and hot."""
    global _warm
    index = pd.date_range("2020-01-01", periods=30, freq="MS")
    series = pd.Series(np.linspace(100, 130, 30) + 5 * np.sin(np.arange(30)), index=index)
    select_and_forecast(series, 2, 95)
    _warm = True


def worker_start() -> None:
    """A pool worker's set-up before its first task: ``worker_init``, then one warm-up fit
    unless the worker was forked from a template that did it (``worker_template``)."""
    worker_init()
    if not _warm:
        _warm_up()


def prepare_template() -> None:
    """The forkserver's set-up, done once (``worker_template``): what every worker would
    otherwise do for itself, about 1.7 s of CPU each: one BLAS thread, the model libraries
    imported, one warm-up fit. If the warm-up fails here, each worker tries it and reports."""
    worker_init()
    try:
        _warm_up()
    except Exception as failed:  # the workers' own warm-up says what went wrong
        logger.bind(event="template_warm_up_failed").warning(
            f"the worker template could not warm up ({failed}); each worker warms up itself"
        )


def make_worker_pool(workers: int, *, warm: bool = True, wait_ready: bool = True) -> WorkerPool:
    """The engine's process pool: one BLAS thread per worker, the model libraries imported and
    (``warm``) one fit done before the first task. With forkserver (Linux) the workers are forked
    from a template that did all that once (``worker_template``), so a new worker, or one
    replacing a worker that died, is ready in about 0.03 s of CPU instead of 1.7 s
    (``benchmarks/worker_start.py``)."""
    return WorkerPool(
        workers,
        initializer=worker_start if warm else worker_init,
        preload=("forecasting.worker_template",),
        wait_ready=wait_ready,
    )

