"""The worker pool on its own, with standard-library functions as tasks: it is an Executor, a
dead or stuck worker costs only its own task, and its temporary files go with it."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pytest

from forecasting.logging_setup import logger
from forecasting.pool import PoolUnavailable, TaskTimedOut, WorkerDied, WorkerPool

WAIT = 120  # seconds before a test gives up on a result: a hang fails instead of blocking


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    """The engine's structured log records (their bound fields) while the test runs."""
    records: list[dict[str, Any]] = []
    logger.enable("forecasting")
    sink = logger.add(lambda message: records.append(dict(message.record["extra"])),
                      level="DEBUG")
    yield records
    logger.remove(sink)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(condition: Callable[[], Any], what: str, seconds: float = WAIT) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


def busy_pid(pool: WorkerPool) -> int:
    return wait_for(lambda: next((p for p, s in pool.worker_states().items() if s == "busy"), 0),
                    "a busy worker")


def test_the_pool_is_an_executor_that_returns_values_and_raises_the_tasks_own_errors() -> None:
    with WorkerPool(2) as pool:
        assert isinstance(pool, Executor)
        assert list(pool.map(abs, [-3, 4, -5])) == [3, 4, 5]
        with pytest.raises(ValueError, match="invalid literal"):
            pool.submit(int, "twelve").result(WAIT)
        pids = {pool.submit(os.getpid).result(WAIT) for _ in range(6)}
    assert os.getpid() not in pids


def test_a_task_that_kills_its_worker_fails_alone_and_a_new_worker_takes_the_slot(
        events: list[dict[str, Any]]) -> None:
    with WorkerPool(2) as pool:
        slow = pool.submit(time.sleep, 1.0)
        busy = busy_pid(pool)
        killer = pool.submit(os._exit, 3)
        with pytest.raises(WorkerDied, match=r"stopped unexpectedly \(exit code 3\)") as died:
            killer.result(WAIT)
        assert slow.result(WAIT) is None, "the other worker's task must finish normally"
        assert died.value.pid != busy
        wait_for(lambda: not alive(died.value.pid), "the dead worker to be gone")
        wait_for(lambda: died.value.pid not in pool.worker_states(), "the death noticed")
        wait_for(lambda: len(pool.worker_states()) == 2, "a replacement worker")
        assert pool.replacements == 1
        assert list(pool.map(abs, [-1, -2])) == [1, 2]
    died_events = [e for e in events if e.get("event") == "worker_died"]
    assert [e["pid"] for e in died_events] == [died.value.pid]
    assert died_events[0]["exit"] == "exit code 3"


def test_a_task_past_its_time_limit_is_stopped_and_its_worker_replaced(
        events: list[dict[str, Any]]) -> None:
    with WorkerPool(2) as pool:
        stuck = pool.submit_limited(1.0, time.sleep, 600)
        pid = busy_pid(pool)
        other = pool.submit(abs, -7)
        assert other.result(WAIT) == 7
        with pytest.raises(TaskTimedOut, match="took longer than 1 s") as timed_out:
            stuck.result(WAIT)
        assert timed_out.value.pid == pid
        wait_for(lambda: not alive(pid), "the stuck worker to be killed")
        wait_for(lambda: pid not in pool.worker_states(), "the kill noticed")
        wait_for(lambda: len(pool.worker_states()) == 2, "a replacement worker")
    assert any(e.get("event") == "task_timeout" and e["pid"] == pid for e in events)


def test_a_stopped_worker_is_killed_at_the_time_limit_instead_of_hanging_the_run() -> None:
    """A worker frozen by SIGSTOP used to leave the run waiting forever."""
    with WorkerPool(1) as pool:
        task = pool.submit_limited(2.0, time.sleep, 0.5)
        pid = busy_pid(pool)
        os.kill(pid, signal.SIGSTOP)
        with pytest.raises(TaskTimedOut):
            task.result(WAIT)
        assert pool.submit(abs, -1).result(WAIT) == 1  # the new worker serves


def test_deaths_during_warm_up_and_during_the_replacement_are_survived() -> None:
    """A worker killed while it warms up is replaced; so is the replacement, killed while it
    warms up in turn; the task queued meanwhile still runs."""
    pool = WorkerPool(1, initializer=time.sleep, initargs=(1.5,), wait_ready=False)
    try:
        queued = pool.submit(abs, -9)
        for _ in range(2):
            starting = wait_for(lambda: next(
                (p for p, s in pool.worker_states().items() if s == "starting"), 0),
                "a worker warming up")
            os.kill(starting, signal.SIGKILL)
            wait_for(lambda pid=starting: pid not in pool.worker_states(), "the death noticed")
        assert queued.result(WAIT) == 9
        assert pool.replacements == 2
        assert pool.usable
    finally:
        pool.shutdown()


def test_workers_that_can_never_start_fail_the_tasks_with_the_reason() -> None:
    """A broken set-up must not loop forever starting workers, nor leave callers waiting."""
    pool = WorkerPool(1, initializer=int, initargs=("not a number",))
    try:
        assert not pool.usable
        with pytest.raises(PoolUnavailable, match=r"could not start.*invalid literal"):
            pool.submit(abs, -1)
    finally:
        pool.shutdown()
    assert not os.path.exists(pool.temp_root)


def test_a_set_up_that_never_ends_counts_as_a_failed_start() -> None:
    pool = WorkerPool(1, initializer=time.sleep, initargs=(3600,), start_timeout=0.5)
    try:
        wait_for(lambda: not pool.usable, "the pool to give up after five hung starts")
        with pytest.raises(PoolUnavailable, match=r"set-up did not finish within 0\.5 s"):
            pool.submit(abs, -1)
    finally:
        pool.shutdown()


def test_shutdown_without_waiting_still_runs_what_others_submitted() -> None:
    """Releasing the server's pool must not cancel a session's queued or running jobs."""
    pool = WorkerPool(1)
    running = pool.submit(time.sleep, 0.5)
    queued = pool.submit(abs, -4)
    pool.shutdown(wait=False)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(abs, -1)
    assert running.result(WAIT) is None
    assert queued.result(WAIT) == 4
    wait_for(lambda: not os.path.exists(pool.temp_root), "the temporary root to be removed")


def test_a_killed_workers_temporary_files_are_removed_with_it() -> None:
    with WorkerPool(1) as pool:
        root = Path(pool.temp_root)
        own = Path(pool.submit(tempfile.gettempdir).result(WAIT))
        assert own.parent == root, "a worker's temporary folder lives in the pool's root"
        left = Path(pool.submit(tempfile.mkdtemp, "", "prophet-fit-").result(WAIT))
        assert left.parent == own and left.is_dir()
        (pid,) = pool.worker_states()
        os.kill(pid, signal.SIGKILL)  # e.g. the OOM killer, mid-fit: nothing cleans up after it
        wait_for(lambda: not own.exists(), "the dead worker's folder to be removed")
        wait_for(lambda: pool.worker_states() and pid not in pool.worker_states(), "a new worker")
        new_own = Path(pool.submit(tempfile.gettempdir).result(WAIT))
        assert sorted(root.iterdir()) == [new_own]
    assert not root.exists()


def test_workers_start_while_a_page_stands_in_for_main(tmp_path: Path) -> None:
    """Streamlit installs the page as __main__ while it runs; children started then would
    re-run it (here: a script that exits at once) and die while bootstrapping."""
    page = tmp_path / "page.py"
    page.write_text("raise SystemExit('the page was re-run in a worker')\n")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(page)
    real = sys.modules["__main__"]
    sys.modules["__main__"] = fake
    try:
        with WorkerPool(2, start_method="spawn") as pool:
            assert pool.usable
            assert list(pool.map(abs, [-1, -2])) == [1, 2]
        assert sys.modules["__main__"] is fake, "the page must be put back"
    finally:
        sys.modules["__main__"] = real


# A temp folder whose path leaves no room for a Unix socket's name (108 bytes on Linux), as a
# deeply nested TMPDIR can: the forkserver cannot listen there.
_LONG_TMP = r"""
import json, os, sys, tempfile, time
from forecasting.pool import PoolUnavailable, WorkerPool
method = sys.argv[1] if len(sys.argv) > 1 else None
started = time.monotonic()
pool = WorkerPool(2, start_method=method, start_timeout=60)
try:
    outcome = {"value": pool.submit(sum, [1, 2, 3]).result(60)}
except PoolUnavailable as exc:
    outcome = {"error": str(exc)}
outcome["seconds"] = time.monotonic() - started
pool.shutdown()
print(json.dumps(outcome))
"""


def _in_long_tmpdir(tmp_path: Path, *args: str) -> dict[str, Any]:
    import json
    import subprocess

    long_tmp = tmp_path / ("n" * 60) / ("e" * 60)
    long_tmp.mkdir(parents=True)
    env = {**os.environ, "TMPDIR": str(long_tmp)}
    done = subprocess.run([sys.executable, "-c", _LONG_TMP, *args], env=env, capture_output=True,
                          text=True, timeout=WAIT)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_temp_folder_too_deep_for_a_socket_still_gets_working_workers(tmp_path: Path) -> None:
    outcome = _in_long_tmpdir(tmp_path)
    assert outcome.get("value") == 6, outcome


def test_processes_that_fail_to_start_fail_the_tasks_at_once_instead_of_hanging(
        tmp_path: Path) -> None:
    """A start that raises (here the forkserver, asked for by name, cannot listen) is retried a
    few times and then fails the tasks with the reason: never a pool waiting for workers that
    will not come."""
    outcome = _in_long_tmpdir(tmp_path, "forkserver")
    assert "AF_UNIX path too long" in outcome.get("error", ""), outcome
    assert outcome["seconds"] < 30, outcome
