"""Generic tasks over any ``concurrent.futures.Executor``: longest first, time limits, retries.

A task is a picklable module-level function with its arguments, a key, a group, an expected cost
and a time limit; a metric's fits and its combination are tasks of one group (``runner``).
``run_tasks`` yields one outcome per task, in the order they finish, and never raises for a
task's sake:

- longest expected first, with at most ``max_in_flight`` of this run's tasks submitted at once
  (a shared pool serves several callers fairly; one in flight runs them one after another);
  ``follow_up(outcome)`` may add tasks as outcomes arrive (a metric's combination once its fits
  are in): they go to the front of the queue, since each one finishes a result;
- a task whose worker died is retried once, alone, after the others, and so are the unstarted
  tasks of its group; a second death fails it;
- a task past its time limit fails. On a ``WorkerPool`` the pool kills and replaces the worker;
  on other executors the runner stops waiting and cancels it (a running thread or Dask task
  cannot be stopped from outside, so it finishes unobserved);
- once a task of a group has failed, the group's tasks not yet started are skipped.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Executor, Future
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any, Literal

from .errors import first_line
from .logging_setup import logger
from .pool import PoolUnavailable, TaskTimedOut, WorkerDied, WorkerPool, exit_text
from .settings import DEFAULT_TIME_LIMIT

__all__ = ["DEFAULT_TIME_LIMIT", "Task", "TaskOutcome", "run_tasks"]

Outcome = Literal["ok", "error", "timeout", "died", "unavailable", "skipped"]
FollowUp = Callable[["TaskOutcome"], Iterable["Task"]]


@dataclass(frozen=True)
class Task:
    """``fn(*args)`` to run somewhere; ``cost`` is its expected seconds (longest go first).
    Tasks of one ``group`` (by default each task is its own) succeed or fail together."""

    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    cost: float = 1.0
    time_limit: float | None = DEFAULT_TIME_LIMIT
    group: str = ""

    @property
    def team(self) -> str:
        return self.group or self.key


@dataclass(frozen=True)
class TaskOutcome:
    """What came of a task: its value, or why there is none, in words a user understands."""

    key: str
    outcome: Outcome
    value: Any = None
    reason: str = ""
    started: float = 0.0
    finished: float = 0.0
    worker: int = 0
    attempts: int = 1
    group: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(eq=False)
class _Flight:
    task: Task
    attempt: int
    submitted: float
    deadline: float  # runner-side, only for executors that cannot enforce a limit themselves


def run_tasks(
    tasks: Iterable[Task],
    executor: Executor | None = None,
    *,
    max_in_flight: int | None = None,
    follow_up: FollowUp | None = None,
) -> Iterator[TaskOutcome]:
    """Yield one outcome per task as each finishes; without an executor, here, one by one
    (no time limit can be enforced in this process)."""
    ordered = sorted(tasks, key=lambda task: -task.cost)
    if executor is None:
        yield from _run_here(deque(ordered), follow_up)
        return
    cap = max(1, max_in_flight or len(ordered) or 1)
    yield from _Run(executor, cap, follow_up).run(ordered)


def _run_here(pending: deque[Task], follow_up: FollowUp | None) -> Iterator[TaskOutcome]:
    failed: set[str] = set()
    while pending:
        task = pending.popleft()
        outcome = _skipped(task, 1) if task.team in failed else _here(task)
        if not outcome.ok:
            failed.add(task.team)
        yield outcome
        if follow_up is not None:
            pending.extendleft(reversed(list(follow_up(outcome))))


def _here(task: Task) -> TaskOutcome:
    started = time.time()
    try:
        value = task.fn(*task.args)
    except Exception as exc:  # one task failing never fails the batch
        return TaskOutcome(
            task.key, "error", None, first_line(exc), started, time.time(), group=task.group
        )
    return TaskOutcome(
        task.key, "ok", value, "", started, time.time(), os.getpid(), group=task.group
    )


def _skipped(task: Task, attempt: int) -> TaskOutcome:
    now = time.time()
    reason = "not run: another part of the same job failed"
    return TaskOutcome(task.key, "skipped", None, reason, now, now, 0, attempt, task.group)


class _Run:
    """One call of ``run_tasks`` over an executor."""

    def __init__(self, executor: Executor, cap: int, follow_up: FollowUp | None) -> None:
        self.executor = executor
        self.cap = cap
        self.follow_up = follow_up
        self.flights: dict[Future[Any], _Flight] = {}
        self.failed: set[str] = set()  # groups with a failed task: the rest is skipped
        self.suspect: dict[str, list[Task]] = {}  # groups whose worker died, to retry alone

    def run(self, ordered: list[Task]) -> Iterator[TaskOutcome]:
        try:
            yield from self._drain(deque(ordered), attempt=1, cap=self.cap)
            while self.suspect:  # alone: if it kills its worker again, it takes nobody with it
                group, tasks = next(iter(self.suspect.items()))
                del self.suspect[group]
                yield from self._drain(deque(tasks), attempt=2, cap=1)
        finally:  # a caller that stops early (a page rerun) frees the pool of its queued tasks
            for future in self.flights:
                future.cancel()

    def _drain(self, pending: deque[Task], attempt: int, cap: int) -> Iterator[TaskOutcome]:
        while pending or self.flights:
            while pending and len(self.flights) < cap:
                task = pending.popleft()
                if task.team in self.failed:
                    yield _skipped(task, attempt)
                elif attempt == 1 and task.team in self.suspect:
                    self.suspect[task.team].append(task)  # waits for its group's retry
                else:
                    failed = self._submit(task, attempt)
                    if failed is not None:
                        yield failed
                        yield from self._fail(task.team)
            if not self.flights:
                continue
            done, _ = wait_futures(self.flights, self._timeout(), FIRST_COMPLETED)
            for future in done:
                if future in self.flights:  # not cancelled by a failure just handled
                    yield from self._finish(self.flights.pop(future), future, pending, attempt)
            for outcome in self._expire():
                yield outcome
                yield from self._fail(outcome.group or outcome.key)

    def _fail(self, team: str) -> Iterator[TaskOutcome]:
        """A group failed: its tasks still queued on the executor are cancelled and skipped (a
        running one finishes; its outcome comes as usual)."""
        self.failed.add(team)
        for future, flight in list(self.flights.items()):
            if flight.task.team == team and future.cancel():
                del self.flights[future]
                yield _skipped(flight.task, flight.attempt)

    def _finish(
        self, flight: _Flight, future: Future[Any], pending: deque[Task], attempt: int
    ) -> Iterator[TaskOutcome]:
        outcome = _outcome(future, flight)
        if outcome.outcome == "died" and attempt == 1:
            team = flight.task.team
            waiting = self.suspect.setdefault(team, [])
            waiting.insert(0, flight.task)
            for queued, other in list(self.flights.items()):  # not started yet: wait with it
                if other.task.team == team and queued.cancel():
                    del self.flights[queued]
                    waiting.append(other.task)
            _log(outcome, "retried alone after the others")
            return
        _log(outcome)
        yield outcome
        if not outcome.ok:
            yield from self._fail(flight.task.team)
            return
        if self.follow_up is not None:
            added = list(self.follow_up(outcome))
            if attempt == 1:
                pending.extendleft(reversed(added))
            else:  # a retried group finishes alone, its follow-ups included
                pending.extend(added)

    def _submit(self, task: Task, attempt: int) -> TaskOutcome | None:
        now = time.time()
        kind: Outcome
        try:
            if isinstance(self.executor, WorkerPool):
                future = self.executor.submit_limited(task.time_limit, task.fn, *task.args)
                deadline = float("inf")  # the pool enforces it, counting from the task's start
            else:
                future = self.executor.submit(task.fn, *task.args)
                limit = task.time_limit
                deadline = time.monotonic() + limit if limit is not None else float("inf")
        except PoolUnavailable as exc:
            kind, reason = "unavailable", f"no worker could run it: {first_line(exc)}"
        except BrokenExecutor:  # a standard process pool breaks for good when a worker dies
            kind, reason = "died", (
                "worker died: a worker process stopped unexpectedly and this process pool "
                "cannot run more jobs"
            )
        except RuntimeError as exc:  # shut down
            kind, reason = "unavailable", f"no worker could run it: {first_line(exc)}"
        else:
            self.flights[future] = _Flight(task, attempt, now, deadline)
            return None
        outcome = TaskOutcome(task.key, kind, None, reason, now, now, 0, attempt, task.group)
        _log(outcome)
        return outcome

    def _timeout(self) -> float | None:
        soonest = min((f.deadline for f in self.flights.values()), default=float("inf"))
        return None if soonest == float("inf") else max(0.0, soonest - time.monotonic())

    def _expire(self) -> Iterator[TaskOutcome]:
        now = time.monotonic()
        for future, flight in list(self.flights.items()):
            if flight.deadline > now:
                continue
            del self.flights[future]
            future.cancel()
            limit = flight.task.time_limit or 0.0
            outcome = TaskOutcome(
                flight.task.key,
                "timeout",
                None,
                f"took longer than {limit:g} s, its time limit",
                flight.submitted,
                time.time(),
                0,
                flight.attempt,
                flight.task.group,
            )
            _log(outcome)
            yield outcome


def _outcome(future: Future[Any], flight: _Flight) -> TaskOutcome:
    task, started, attempt = flight.task, flight.submitted, flight.attempt

    def failed(kind: Outcome, reason: str, worker: int = 0) -> TaskOutcome:
        return TaskOutcome(
            task.key, kind, None, reason, started, time.time(), worker, attempt, task.group
        )

    try:
        value = future.result()
    except TaskTimedOut as exc:
        return failed(
            "timeout",
            f"took longer than {exc.limit:g} s, its time limit; it was stopped and its "
            "worker process replaced",
            exc.pid,
        )
    except WorkerDied as exc:
        return failed("died", _died_reason(attempt, exc.exitcode), exc.pid)
    except PoolUnavailable as exc:
        return failed("unavailable", f"no worker could run it: {first_line(exc)}")
    except BrokenExecutor:  # a standard process pool broke: a worker died, pool and all
        return failed("died", _died_reason(attempt, None))
    except CancelledError:
        return failed("unavailable", "cancelled before it ran (the pool was shut down)")
    except Exception as exc:  # the task's own error, or e.g. a Dask worker lost
        return failed("error", first_line(exc, with_type=True))
    worker = int(getattr(value, "worker", 0) or 0)
    return TaskOutcome(
        task.key, "ok", value, "", started, time.time(), worker, attempt, task.group
    )


def _died_reason(attempt: int, exitcode: int | None) -> str:
    how = f" ({exit_text(exitcode)})" if exitcode is not None else ""
    again = ", also when retried alone" if attempt > 1 else ""
    return (
        f"worker died: the process computing it stopped unexpectedly{how}{again}; "
        "this happens when a machine runs out of memory or a process is killed"
    )


def _log(outcome: TaskOutcome, note: str = "") -> None:
    """Failures, deaths and time-outs; what a finished task produced is its caller's to log."""
    if outcome.ok and not note:
        return
    fields = {
        "event": "task",
        "key": outcome.key,
        "outcome": outcome.outcome,
        "seconds": round(outcome.finished - outcome.started, 4),
        "pid": outcome.worker,
        "attempt": outcome.attempts,
    }
    text = f"{outcome.key}: {outcome.outcome} ({outcome.reason})"
    logger.bind(**fields).warning(f"{text}; {note}" if note else text)
