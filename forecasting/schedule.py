"""A run's jobs as tasks, and the bookkeeping that turns task outcomes back into metrics.

Each distinct series (after preparation; growth_rate's is revenue's) becomes its fit pieces,
one task each, in one task group named after the series' first job (its key: the metric, with
its entity in per-entity forecasts); when the last piece is in, each job on the series gets its
combination task. A failed task fails every metric of
its series that is not finished yet, with the task's reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import pandas as pd

from .backtest import BacktestPlan, plan_backtest
from .errors import first_line
from .fits import FitBatch, FitPiece, collect, family_seconds, fit_piece, plan_pieces
from .metric import Assembled, MetricRequest, assemble_metric
from .selection import Selection, prepare_series
from .tasks import Task, TaskOutcome

if TYPE_CHECKING:
    from .runner import ForecastJob

__all__ = ["Done", "JobPlan", "Refused", "TaskTiming"]

_COMBINE_COST: Final = 0.005  # CPU seconds of a combination (growth_rate's a few times more)


@dataclass(frozen=True)
class TaskTiming:
    """One executed task: what it was, for which job (its key), on which worker process, from
    when to when (wall clock, seconds since the epoch), at what CPU cost (0 when it never
    reported), on which machine ("" when it never reported)."""

    key: str
    metric: str
    worker: int
    started: float
    finished: float
    cpu_seconds: float
    host: str = ""
    group: str = ""  # the series' task group: its fits, and the combinations waiting for them


@dataclass(frozen=True)
class Refused:
    """A job that could not even be planned (too short a history), and why."""

    job: ForecastJob
    reason: str


@dataclass(frozen=True)
class Done:
    """A finished job, forecast or failed, with its timing."""

    job: ForecastJob
    selection: Selection | None
    reason: str
    started: float
    finished: float
    worker: int
    family_seconds: Mapping[str, float]
    tasks: tuple[TaskTiming, ...]
    host: str = ""


@dataclass(eq=False)
class _Series:
    group: str  # its first job's key: the owner of its fit tasks
    series: pd.Series
    plan: BacktestPlan
    notes: tuple[str, ...]
    pieces: dict[str, FitPiece]  # by task key
    jobs: list[ForecastJob] = field(default_factory=list)
    batches: dict[str, FitBatch] = field(default_factory=dict)
    timings: list[TaskTiming] = field(default_factory=list)
    open_jobs: set[str] = field(default_factory=set)
    failure: str = ""


def _fingerprint(series: pd.Series) -> str:
    index = pd.DatetimeIndex(series.index)
    data = series.to_numpy(dtype="float64").tobytes() + index.asi8.tobytes()
    return hashlib.sha256(data).hexdigest()


class JobPlan:
    """The tasks of a run's jobs, and what each task outcome finishes."""

    def __init__(
        self,
        jobs: Sequence[ForecastJob],
        time_limit: float | None,
        expected: Mapping[str, float],
    ) -> None:
        self.refused: list[Refused] = []
        self.tasks: list[Task] = []
        self._time_limit = time_limit
        self._expected = expected
        self._by_fingerprint: dict[str, _Series] = {}
        self._by_group: dict[str, _Series] = {}
        self._job_of_task: dict[str, ForecastJob] = {}  # task key -> the job it serves
        # A metric that is derived (growth_rate) should not own the fits its source shares.
        for job in sorted(jobs, key=lambda j: j.derive is not None):
            self._add(job)

    def _add(self, job: ForecastJob) -> None:
        try:
            series, notes = prepare_series(job.series)
            plan = plan_backtest(len(series), job.horizon)
        except Exception as exc:  # a series that cannot be backtested fails its job alone
            self.refused.append(Refused(job, first_line(exc, with_type=True)))
            return
        key = _fingerprint(series)
        state = self._by_fingerprint.get(key)
        if state is None:
            pieces = {f"{job.key}:{p.label}": p for p in plan_pieces(plan)}
            state = _Series(job.key, series, plan, tuple(notes), pieces)
            self._by_fingerprint[key] = self._by_group[job.key] = state
            self._job_of_task.update(dict.fromkeys(pieces, job))
            self.tasks += [self._fit_task(state, k, p) for k, p in pieces.items()]
        self._job_of_task[f"{job.key}:combine"] = job
        state.jobs.append(job)
        state.open_jobs.add(job.key)

    def _fit_task(self, state: _Series, key: str, piece: FitPiece) -> Task:
        months = len(state.series)
        cost = self._expected.get(key)
        if cost is None:
            cost = piece.cost(months)
            known = self._expected.get(state.group)
            if known is not None:  # a metric's measured seconds scale its pieces' defaults
                total = sum(p.cost(months) for p in state.pieces.values()) or 1.0
                cost *= known / total
        return Task(key, fit_piece, (state.series, piece), cost, self._time_limit, state.group)

    def follow_up(self, outcome: TaskOutcome) -> list[Task]:
        """The combination tasks of a series whose last fit piece just came in."""
        state = self._by_group.get(outcome.group)
        if (
            state is None
            or not outcome.ok
            or outcome.key not in state.pieces
            or state.failure
            or len(state.batches) < len(state.pieces)
        ):
            return []
        batches = [state.batches[k] for k in state.pieces]  # the pieces' own order
        folds, finals = collect(batches, state.plan)
        return [
            Task(
                f"{job.key}:combine",
                assemble_metric,
                (MetricRequest(job.metric, state.series, state.plan, folds, finals, job.horizon,
                               job.level, job.derive, state.notes),),
                _COMBINE_COST,
                self._time_limit,
                state.group,
            )
            for job in state.jobs
        ]

    def take(self, outcome: TaskOutcome) -> list[Done]:
        """Record an outcome; the jobs it finishes (its combination, or a failure)."""
        state = self._by_group.get(outcome.group)
        if state is None:
            return []
        job = self._job_of_task.get(outcome.key)
        if job is None:
            return []
        value = outcome.value
        if outcome.ok and isinstance(value, FitBatch):
            state.batches[outcome.key] = value
            state.timings.append(TaskTiming(outcome.key, job.key, value.worker, value.started,
                                            value.finished, value.cpu_seconds, value.host,
                                            state.group))
            return []
        if outcome.ok and isinstance(value, Assembled):
            return [self._finished(state, value, outcome.key, job)]
        return self._failed(state, outcome, job.key)

    def _finished(self, state: _Series, value: Assembled, key: str, job: ForecastJob) -> Done:
        state.open_jobs.discard(job.key)
        own = TaskTiming(key, job.key, value.worker, value.started, value.finished,
                         value.cpu_seconds, value.host, state.group)
        owner = job.key == state.group
        return Done(
            job,
            value.selection,
            value.reason,
            value.started,
            value.finished,
            value.worker,
            family_seconds(list(state.batches.values())) if owner else {},
            (*state.timings, own) if owner else (own,),
            value.host,
        )

    def _failed(self, state: _Series, outcome: TaskOutcome, job_key: str) -> list[Done]:
        """A task that did not deliver: the series' open jobs fail with its reason (a skipped
        task repeats the failure that made it skip)."""
        if outcome.outcome != "skipped":
            state.timings.append(TaskTiming(outcome.key, job_key, outcome.worker, outcome.started,
                                            outcome.finished, 0.0, group=state.group))
            state.failure = state.failure or outcome.reason
        reason = state.failure or outcome.reason
        done = []
        for job in state.jobs:
            if job.key in state.open_jobs:
                state.open_jobs.discard(job.key)
                owner = job.key == state.group
                done.append(
                    Done(job, None, reason, outcome.started, outcome.finished,
                         outcome.worker, {}, tuple(state.timings) if owner else ())
                )
        return done
