"""Projected scaling: a run's measured task times scheduled as the runner schedules them (longest
first, each to the worker free soonest) must give the wall times that runs on that many workers
actually take. Checked on tasks whose durations are known: they sleep."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import pytest

from forecasting.projection import TaskCost, bench_projection, makespan, project
from forecasting.tasks import Task, run_tasks

# Known durations, in no particular order (the runner sorts them, longest first).
SLEEPS = (0.1, 0.3, 0.2, 0.4, 0.1, 0.2, 0.3, 0.2)
SERIAL = 0.15


def test_the_runner_is_modelled_not_an_ideal_schedule() -> None:
    # Longest first on 2 workers: 3|3, then 2, 2 fill both, the last 2 ends at 7; the best
    # possible split (3+3 | 2+2+2) would end at 6. The projection must say 7: that is the run.
    assert makespan([2, 3, 2, 3, 2], 2) == 7
    assert makespan([2, 3, 2, 3, 2], 1) == 12
    assert makespan([2, 3, 2, 3, 2], 64) == 3  # no more workers than tasks help
    assert makespan([], 4) == 0


def test_a_combination_waits_for_every_fit_of_its_series() -> None:
    """As the runner hands them out: a metric's combination starts once its series' last fit is
    in, so plenty of workers still leave the fits and the combination one after the other."""
    tasks = [TaskCost.of("revenue:ets@backtest", 2, "revenue"),
             TaskCost.of("revenue:light@final", 2, "revenue"),
             TaskCost.of("revenue:combine", 1, "revenue"),
             TaskCost.of("growth_rate:combine", 1, "revenue"),  # shares revenue's fits
             TaskCost.of("dso:ets@backtest", 3, "dso"),
             TaskCost.of("dso:combine", 1, "dso")]
    assert makespan(tasks, 64) == 4  # dso's fit ends at 3, its combination at 4
    assert makespan(tasks, 1) == 10  # one after another: the sum, whatever the order
    # Two workers: dso's fit and one of revenue's (0-3, 0-2), revenue's other fit (2-4), dso's
    # combination (3-4); revenue's two combinations wait for both its fits, then run side by
    # side (4-5).
    assert makespan(tasks, 2) == 5
    assert makespan([t.seconds for t in tasks], 64) == 3  # without the waits: the longest task


def test_the_caller_s_cpu_comes_out_of_the_workers_when_no_cpu_is_left_for_it() -> None:
    """The process handing out tasks needs CPU too: with a CPU of its own (1 worker on 2) it
    costs the workers nothing; with as many workers as CPUs (2 on 2, or 3 on a machine of 3, one
    per worker) its 0.2 s are taken from the workers' time, a share each."""
    walls = {p.workers: p.wall_s for p in project(SLEEPS, SERIAL, workers=[1, 2, 3],
                                                  caller_cpu_s=0.2, cpus=2)}
    assert walls[1] == pytest.approx(SERIAL + 1.8)
    assert walls[2] == pytest.approx(SERIAL + 0.9 + 0.2 / 2)
    assert walls[3] == pytest.approx(SERIAL + 0.6 + 0.2 / 3)
    # A projection made on a machine with a CPU to spare for 2 workers charges nothing there.
    assert project(SLEEPS, SERIAL, workers=[2], caller_cpu_s=0.2, cpus=4)[0].wall_s == (
        pytest.approx(SERIAL + 0.9))


def timed_sleep(seconds: float) -> float:
    """A task of known length; returns the seconds it took where it ran."""
    started = time.perf_counter()
    time.sleep(seconds)
    return time.perf_counter() - started


def _measured_run(workers: int) -> tuple[float, float, list[float]]:
    """A serial part in this process, then the sleeping tasks on ``workers`` threads through the
    engine's own task runner: the wall time, the serial part and each task's seconds."""
    started = time.perf_counter()
    serial = timed_sleep(SERIAL)
    tasks = [Task(f"t{i}", timed_sleep, (s,), cost=s) for i, s in enumerate(SLEEPS)]
    with ThreadPoolExecutor(workers) as executor:
        outcomes = list(run_tasks(tasks, executor, max_in_flight=workers))
    assert all(o.ok for o in outcomes), [o.reason for o in outcomes]
    return time.perf_counter() - started, serial, [float(o.value) for o in outcomes]


@pytest.mark.parametrize(("workers", "by_hand"), [(1, 1.8), (2, 0.9), (3, 0.6)])
def test_projection_equals_the_measured_wall_time_of_tasks_with_known_durations(
        workers: int, by_hand: float) -> None:
    # The known durations, scheduled longest first by hand: on 2 workers .4 .2 .2 .1 | .3 .3 .2 .1
    # both end at 0.9; on 3, .4 .2 | .3 .2 .1 | .3 .2 .1 end at 0.6.
    assert project(SLEEPS, SERIAL, workers=[workers])[0].wall_s == pytest.approx(
        SERIAL + by_hand)
    wall, serial, durations = _measured_run(workers)
    point = project(durations, serial, workers=[workers])[0]
    assert point.wall_s == pytest.approx(wall, rel=0.1), (workers, point.wall_s, wall)


def _bench(durations: list[float], serial: float, parallel_s: float) -> dict[str, object]:
    """The parts of a `bench` result the projection reads."""
    return {
        "serial_s": serial,
        "sequential_s": sum(durations) + 0.05,
        "parallel_s": parallel_s,
        "workers": 2,
        "pool_warm_s": 0.002,
        "parallel_caller_cpu_s": 0.0,
        "cpus_available": 2,
        "task_seconds": {f"m{i}": d for i, d in enumerate(durations)},
        "task_groups": {f"m{i}": f"m{i}" for i in range(len(durations))},
    }


def test_bench_projection_marks_the_measured_counts_and_is_bounded_by_the_longest_task() -> None:
    rng = np.random.default_rng(3)
    durations = list(rng.uniform(0.6, 1.8, 14))
    sweep = [{"workers": 1, "parallel_s": sum(durations)},
             {"workers": 2, "parallel_s": sum(durations) / 2}]
    points = bench_projection(_bench(durations, 0.3, sum(durations) / 2), sweep)

    assert [p["workers"] for p in points] == list(range(1, 65))
    assert [p["workers"] for p in points if p["measured"]] == [1, 2]
    assert points[0]["speedup"] == 1
    assert points[0]["measured_wall_s"] == pytest.approx(0.3 + sum(durations) + 0.05)
    walls = [p["wall_s"] for p in points]
    assert all(a >= b for a, b in pairwise(walls)), "more workers, slower?"
    assert all(p["speedup"] <= p["workers"] for p in points)
    # Each task costs the hand-out overhead the sequential run measured beyond the tasks' own
    # seconds (0.05 s over 14 tasks, more than the warm round trip), so one worker projects the
    # sequential run itself.
    overhead = 0.05 / 14
    assert walls[0] == pytest.approx(points[0]["measured_wall_s"], abs=1e-3)
    # 14 tasks: from 14 workers on, the longest task and the serial part are all that is left.
    longest = max(durations) + overhead
    assert walls[13] == walls[63] == pytest.approx(0.3 + longest, abs=1e-3)
    assert points[63]["speedup"] == pytest.approx(walls[0] / (0.3 + longest), abs=1e-3)
