"""Generic tasks (a function, its arguments, a key, a cost, a time limit) over executors:
longest first, a bounded number in flight, time limits counted from a task's start."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

from forecasting import Task, WorkerPool, run_tasks


def test_longest_expected_first_one_at_a_time_when_one_is_allowed_in_flight() -> None:
    costs = {"short": 1.0, "longest": 9.0, "middle": 4.0, "long": 6.0, "tiny": 0.5}
    tasks = [Task(key, time.sleep, (0.05,), cost) for key, cost in costs.items()]
    with WorkerPool(2) as pool:
        outcomes = list(run_tasks(tasks, pool, max_in_flight=1))

    assert [o.key for o in outcomes] == ["longest", "long", "middle", "short", "tiny"]
    assert all(o.ok for o in outcomes)
    for before, after in pairwise(outcomes):
        assert after.started >= before.finished, f"{after.key} started before {before.key} ended"


def test_time_waiting_in_the_queue_does_not_count_against_the_limit() -> None:
    """On a busy shared pool a job may wait; only its own running time is limited."""
    tasks = [Task(f"job{i}", time.sleep, (0.8,), time_limit=1.5) for i in range(3)]
    with WorkerPool(1) as pool:
        outcomes = list(run_tasks(tasks, pool))

    assert [o.outcome for o in outcomes] == ["ok", "ok", "ok"]
    assert outcomes[-1].finished - outcomes[0].started > 1.5, "the last one did wait"


def test_on_threads_a_task_past_its_limit_fails_and_the_run_returns_without_it() -> None:
    """A thread cannot be stopped from outside: the runner stops waiting for it instead."""
    release = threading.Event()
    tasks = [
        Task("stuck", release.wait, (120,), cost=2, time_limit=0.5),
        Task("quick", abs, (-5,), cost=1, time_limit=0.5),
    ]
    threads = ThreadPoolExecutor(2)
    try:
        outcomes = {o.key: o for o in run_tasks(tasks, threads)}
        assert not release.is_set(), "the run returned while the stuck task still ran"
    finally:
        release.set()
        threads.shutdown(wait=True)

    assert outcomes["quick"].ok and outcomes["quick"].value == 5
    assert outcomes["stuck"].outcome == "timeout"
    assert outcomes["stuck"].reason == "took longer than 0.5 s, its time limit"


def test_in_process_a_failing_task_is_an_outcome_with_its_message() -> None:
    outcomes = {o.key: o for o in run_tasks([Task("bad", int, ("x",)), Task("good", abs, (-2,))])}

    assert outcomes["good"].ok and outcomes["good"].worker == os.getpid()
    assert outcomes["bad"].outcome == "error"
    assert outcomes["bad"].reason == "invalid literal for int() with base 10: 'x'"
