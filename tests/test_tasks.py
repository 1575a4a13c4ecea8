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


def test_a_follow_up_task_goes_ahead_of_the_queue_and_a_failed_group_skips_the_rest() -> None:
    """What a metric's tasks rely on: its combination (a follow-up of its last fit) runs next;
    a part that fails fails its group, whose unstarted parts are not run."""
    tasks = [
        Task("a:fit", abs, (-1,), cost=9, group="a"),
        Task("b:fit", int, ("x",), cost=8, group="b"),
        Task("b:more", abs, (-3,), cost=7, group="b"),
        Task("c:fit", abs, (-4,), cost=6, group="c"),
    ]

    def follow_up(outcome):
        return [Task("a:combine", abs, (-10,), group="a")] if outcome.key == "a:fit" else []

    outcomes = list(run_tasks(tasks, max_in_flight=1, follow_up=follow_up))

    assert [(o.key, o.outcome) for o in outcomes] == [
        ("a:fit", "ok"), ("a:combine", "ok"), ("b:fit", "error"), ("b:more", "skipped"),
        ("c:fit", "ok")]
    assert outcomes[1].value == 10
    assert outcomes[3].reason == "not run: another part of the same job failed"


def test_a_group_whose_worker_died_finishes_alone_after_the_others() -> None:
    tasks = [
        Task("a:kills", os._exit, (1,), cost=3, group="a"),
        Task("a:next", abs, (-1,), cost=2, group="a"),
        Task("b:fit", abs, (-2,), cost=1, group="b"),
    ]
    with WorkerPool(1) as pool:
        outcomes = list(run_tasks(tasks, pool, max_in_flight=1))

    assert [(o.key, o.outcome) for o in outcomes] == [
        ("b:fit", "ok"), ("a:kills", "died"), ("a:next", "skipped")]
    assert outcomes[1].attempts == 2
    assert outcomes[1].reason.startswith("worker died: the process computing it stopped "
                                         "unexpectedly (exit code 1), also when retried alone")
