"""A process pool that is a ``concurrent.futures.Executor`` and survives its workers' faults.

Each worker is its own process on its own pipe, so the pool always knows which task a worker is
running. A worker that dies fails that task alone (``WorkerDied``); a task past its time limit has
its worker killed (``TaskTimedOut``); either way a fresh worker takes the slot while every other
task, whoever submitted it, runs on. Nothing here knows about forecasting: the worker's set-up is
the ``initializer`` it is given.

Temporary files: each worker gets its own folder (its ``TMPDIR``) inside the pool's private root.
A worker's folder is removed once the worker is gone and the root when the pool shuts down, so
what a killed worker left behind (a half-written fit) or what a library created at import and
only removes at a normal exit (cmdstanpy's folder) never piles up in the system's temp folder.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Final, Literal

from .errors import first_line
from .logging_setup import logger
from .worker_process import (
    PoolUnavailable,
    TaskTimedOut,
    WorkerDied,
    exit_text,
    kill_worker,
    plain_main,
    worker_main,
)

__all__ = [
    "PoolUnavailable",
    "TaskTimedOut",
    "WorkerDied",
    "WorkerPool",
    "default_start_method",
    "exit_text",
    "plain_main",
]

# A worker that cannot get through its set-up this many times in a row, with no worker becoming
# ready in between, means the environment is broken: stop trying and fail the queued tasks.
_MAX_START_FAILURES: Final = 5
# After a start that failed outright (an error from the operating system, no process to watch),
# the next try comes after this long: nothing else would wake the pool up to try again.
_RETRY_START_S: Final = 0.2
_STOP_GRACE_S: Final = 5.0
# The longest Unix socket path Linux takes (sun_path is 108 bytes with its terminating zero).
_SOCKET_PATH_MAX: Final = 107
# What the forkserver adds to multiprocessing's temp folder for its socket: "/listener-" and
# eight random characters.
_LISTENER_NAME: Final = 18


def default_start_method() -> str:
    """forkserver on Linux (a warm template process: a new worker starts in milliseconds) unless
    the temp folder is too deep for its socket's path, then spawn, as on other systems."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    from multiprocessing import util

    folder = util.get_temp_dir()  # where the forkserver will put its socket
    if len(os.fsencode(folder)) + _LISTENER_NAME > _SOCKET_PATH_MAX:
        logger.bind(event="pool_start_method", method="spawn", temp=folder).warning(
            f"the temporary folder's path is too long for the forkserver's socket "
            f"({len(folder)} characters); worker processes are spawned instead"
        )
        return "spawn"
    return "forkserver"


@dataclass(eq=False)
class _Item:
    future: Future[Any]
    payload: bytes
    time_limit: float | None


@dataclass(eq=False)
class _Worker:
    slot: int
    process: Any  # multiprocessing's process classes differ by start method
    conn: Connection
    tmpdir: str
    state: Literal["starting", "idle", "busy", "stopping"] = "starting"
    item: _Item | None = None
    deadline: float = math.inf
    start_error: str = ""

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)


@dataclass
class _Shared:
    """What the exit-time clean-up needs, kept apart from the pool so it can outlive it."""

    root: str
    processes: dict[int, Any] = field(default_factory=dict)
    # Set at interpreter exit: the dispatcher thread (a daemon) may still be running, and must
    # not replace the workers killed here in a root that is being removed.
    exiting: bool = False


def _cleanup_at_exit(shared: _Shared) -> None:
    shared.exiting = True
    for process in list(shared.processes.values()):
        kill_worker(process)
    shutil.rmtree(shared.root, ignore_errors=True)


class WorkerPool(Executor):
    """``workers`` processes, each set up once by ``initializer`` and kept warm.

    ``submit(fn, *args)`` runs under the pool's default ``time_limit`` (None: no limit);
    ``submit_limited(limit, fn, *args)`` under its own. Tasks run in the order submitted, on the
    idle worker with the lowest slot, so a caller that keeps one task in flight runs them all
    in the same warm process while the pool is otherwise idle.
    """

    def __init__(
        self,
        workers: int,
        *,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        time_limit: float | None = None,
        start_method: str | None = None,
        preload: tuple[str, ...] = (),
        wait_ready: bool = True,
        start_timeout: float = 300.0,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.size = workers
        self.time_limit = time_limit
        self.replacements = 0
        method = start_method or default_start_method()
        self._context: Any = multiprocessing.get_context(method)
        if method == "forkserver" and preload:
            self._context.set_forkserver_preload(list(preload))
        self._initializer, self._initargs = initializer, initargs
        self._start_timeout = start_timeout
        self._shared = _Shared(tempfile.mkdtemp(prefix="forecast-pool-"))
        weakref.finalize(self, _cleanup_at_exit, self._shared)
        self._lock = threading.Lock()
        self._queue: deque[_Item] = deque()
        self._workers: dict[int, _Worker] = {}
        self._closing = False
        self._broken: str | None = None
        self._start_failures = 0
        self._ready = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)  # a full pipe already means "wake up"
        self._wake_open = True
        started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="worker-pool", daemon=True)
        self._thread.start()
        if wait_ready:
            self._ready.wait(start_timeout)
        self.start_seconds = time.perf_counter() - started
        logger.bind(event="pool_start", workers=workers, seconds=round(self.start_seconds, 3)).info(
            f"worker pool of {workers} started in {self.start_seconds:.2f} s"
        )

    # --- the Executor interface ------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.submit_limited(self.time_limit, fn, *args, **kwargs)

    def submit_limited(
        self, time_limit: float | None, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        """Queue ``fn(*args, **kwargs)``; past ``time_limit`` seconds on a worker it is stopped."""
        if time_limit is not None and not time_limit > 0:
            raise ValueError(f"a time limit must be positive, got {time_limit}")
        future: Future[Any] = Future()
        try:
            payload = pickle.dumps((fn, args, kwargs), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            future.set_exception(exc)
            return future
        with self._lock:
            if self._broken is not None:
                raise PoolUnavailable(self._broken)
            if self._closing:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.append(_Item(future, payload, time_limit))
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking tasks; the queued ones still run unless ``cancel_futures``. The workers
        stop and the temporary root is removed once nothing is left to run."""
        with self._lock:
            self._closing = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft().future.cancel()
        self._wake()
        if wait:
            self._thread.join()

    # --- what callers may look at ------------------------------------------------------------
    @property
    def usable(self) -> bool:
        return self._broken is None and not self._closing

    @property
    def temp_root(self) -> str:
        return self._shared.root

    def worker_states(self) -> dict[int, str]:
        """pid -> 'starting' | 'idle' | 'busy' | 'stopping', for every live worker."""
        with self._lock:
            return {w.pid: w.state for w in self._workers.values()}

    def worker_tmpdirs(self) -> dict[int, str]:
        """pid -> that worker's temporary folder."""
        with self._lock:
            return {w.pid: w.tmpdir for w in self._workers.values()}

    def ping_seconds(self) -> float:
        """Round trip of a trivial task: what a warm start costs."""
        started = time.perf_counter()
        self.submit(os.getpid).result()
        return time.perf_counter() - started

    # --- the dispatcher thread ---------------------------------------------------------------
    def _wake(self) -> None:
        with self._lock:  # never write to the pipe's number once it is closed and reused
            if self._wake_open:
                with suppress(BlockingIOError):
                    os.write(self._wake_w, b"x")

    def _run(self) -> None:
        try:
            while True:
                self._fill_slots()
                self._dispatch()
                if self._done():
                    break
                self._wait_and_handle()
        except BaseException as exc:  # a bug here must not leave submitters waiting forever
            if not self._shared.exiting:
                logger.bind(event="pool_error").exception("the worker pool stopped")
            self._break(f"the worker pool stopped: {first_line(exc, with_type=True)}")
        finally:
            self._stop_workers()

    def _done(self) -> bool:
        with self._lock:
            idle_queue = not self._queue
        busy = any(w.state == "busy" for w in self._workers.values())
        return (self._closing or self._broken is not None) and idle_queue and not busy

    def _starting_allowed(self) -> bool:
        """Whether an empty slot gets a new worker: not once the pool is broken or exiting, nor
        while it closes with nothing left to run."""
        return not (
            self._broken is not None or self._shared.exiting or (self._closing and not self._queue)
        )

    def _fill_slots(self) -> None:
        if not self._starting_allowed():
            return
        for slot in range(self.size):
            if slot not in self._workers and self._broken is None:
                self._start_worker(slot)

    def _start_worker(self, slot: int) -> None:
        try:
            tmpdir = tempfile.mkdtemp(prefix=f"worker-{slot}-", dir=self._shared.root)
        except OSError as exc:  # the temp folder is gone or full: a start that failed
            self._start_failed(f"could not create its temporary folder: {exc}")
            return
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main,
            args=(child, tmpdir, self._initializer, self._initargs),
            name=f"forecast-worker-{slot}",
            daemon=True,
        )
        try:
            with plain_main():
                process.start()
        except OSError as exc:
            shutil.rmtree(tmpdir, ignore_errors=True)
            self._start_failed(f"could not start a process: {exc}")
            return
        finally:
            child.close()
        with self._lock:
            # A set-up that never ends (a hung import, a stuck warm-up fit) counts as a failed
            # start once this passes, so the slot is not lost for good.
            deadline = time.monotonic() + self._start_timeout
            self._workers[slot] = _Worker(slot, process, parent, tmpdir, deadline=deadline)
        self._shared.processes[slot] = process

    def _dispatch(self) -> None:
        idle = sorted((w for w in self._workers.values() if w.state == "idle"), key=_slot)
        for worker in idle:
            item = self._next_item()
            if item is None:
                return
            try:
                worker.conn.send_bytes(item.payload)
            except OSError:  # it died while idle; its sentinel will say how
                worker.state = "stopping"
                item.future.set_exception(WorkerDied(worker.pid, worker.process.exitcode))
                continue
            worker.state, worker.item = "busy", item
            worker.deadline = (
                time.monotonic() + item.time_limit if item.time_limit is not None else math.inf
            )

    def _next_item(self) -> _Item | None:
        with self._lock:
            while self._queue:
                item = self._queue.popleft()
                if item.future.set_running_or_notify_cancel():
                    return item
        return None

    def _wait_and_handle(self) -> None:
        workers = list(self._workers.values())
        objects: list[Any] = [self._wake_r]
        for worker in workers:
            objects += [worker.conn, worker.process.sentinel]
        deadline = min((w.deadline for w in workers), default=math.inf)
        if self._missing_workers():
            deadline = min(deadline, time.monotonic() + _RETRY_START_S)
        timeout = None if deadline == math.inf else max(0.0, deadline - time.monotonic())
        ready = set(wait(objects, timeout))
        if self._wake_r in ready:
            os.read(self._wake_r, 65536)
        for worker in workers:  # results first: a worker may answer and then exit
            if worker.conn in ready:
                self._receive(worker)
        for worker in workers:
            if worker.process.sentinel in ready:
                self._reap(worker)
        self._expire()

    def _missing_workers(self) -> bool:
        """A slot without a process that ``_fill_slots`` will try to start again."""
        return self._starting_allowed() and len(self._workers) < self.size

    def _receive(self, worker: _Worker) -> None:
        try:
            message = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError):
            return  # the sentinel reports the death
        except Exception as exc:  # a result this process cannot unpickle
            message = ("error", exc)
        kind = message[0]
        if kind == "ready":
            worker.state, worker.deadline = "idle", math.inf
            self._start_failures = 0
            if sum(w.state != "starting" for w in self._workers.values()) == self.size:
                self._ready.set()
        elif kind == "failed":
            worker.start_error = message[1]
        elif worker.item is not None:
            item, worker.item = worker.item, None
            worker.state, worker.deadline = "idle", math.inf
            if kind == "done":
                item.future.set_result(message[1])
            else:
                item.future.set_exception(message[1])

    def _reap(self, worker: _Worker) -> None:
        worker.process.join(1.0)
        with self._lock:
            del self._workers[worker.slot]
        self._shared.processes.pop(worker.slot, None)
        worker.conn.close()
        shutil.rmtree(worker.tmpdir, ignore_errors=True)
        exitcode = worker.process.exitcode
        if self._shared.exiting:  # killed by the exit clean-up: nothing to report or replace
            return
        if worker.state == "starting":
            self._start_failed(worker.start_error or exit_text(exitcode), worker.pid)
        elif worker.state != "stopping" or worker.item is not None:
            task = "while running a task" if worker.item is not None else "while idle"
            logger.bind(event="worker_died", pid=worker.pid, exit=exit_text(exitcode)).warning(
                f"worker process {worker.pid} died {task} ({exit_text(exitcode)})"
            )
            if worker.item is not None:
                worker.item.future.set_exception(WorkerDied(worker.pid, exitcode))
        if not self._closing and self._broken is None:
            self.replacements += 1
            logger.bind(event="worker_replaced", slot=worker.slot, pid=worker.pid).info(
                f"replacing worker process {worker.pid}"
            )

    def _start_failed(self, reason: str, pid: int = 0) -> None:
        self._start_failures += 1
        logger.bind(event="worker_start_failed", pid=pid, reason=reason).warning(
            f"a worker process could not start ({reason})"
        )
        if self._start_failures >= _MAX_START_FAILURES:
            self._break(f"worker processes could not start ({reason})")

    def _expire(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers.values()):
            if worker.state == "starting" and worker.deadline <= now:
                worker.start_error = (
                    f"its set-up did not finish within {self._start_timeout:g} s"
                )
                worker.deadline = math.inf
                kill_worker(worker.process)
            if worker.state != "busy" or worker.deadline > now or worker.item is None:
                continue
            item, worker.item = worker.item, None
            worker.state = "stopping"
            kill_worker(worker.process)
            limit = item.time_limit or 0.0
            logger.bind(event="task_timeout", pid=worker.pid, limit=limit).warning(
                f"a task passed its {limit:g} s limit; killing worker process {worker.pid}"
            )
            item.future.set_exception(TaskTimedOut(limit, worker.pid))

    def _break(self, reason: str) -> None:
        with self._lock:
            self._broken = reason
            queued = list(self._queue)
            self._queue.clear()
        for item in queued:
            if item.future.set_running_or_notify_cancel():
                item.future.set_exception(PoolUnavailable(reason))
        self._ready.set()

    def _stop_workers(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            with suppress(OSError):
                worker.conn.send_bytes(b"")
        stop_by = time.monotonic() + _STOP_GRACE_S
        for worker in workers:
            worker.process.join(max(0.0, stop_by - time.monotonic()))
            kill_worker(worker.process)
            worker.process.join(1.0)
            worker.conn.close()
            if worker.item is not None:
                worker.item.future.set_exception(WorkerDied(worker.pid, worker.process.exitcode))
        with self._lock:
            self._workers.clear()
            for item in self._queue:  # only after a failure of the pool itself
                if item.future.set_running_or_notify_cancel():
                    item.future.set_exception(PoolUnavailable("the worker pool stopped"))
            self._queue.clear()
            self._wake_open = False
            os.close(self._wake_w)
            os.close(self._wake_r)
        self._shared.processes.clear()
        shutil.rmtree(self._shared.root, ignore_errors=True)
        self._ready.set()
        logger.bind(event="pool_stop", workers=self.size).info("worker pool stopped")


def _slot(worker: _Worker) -> int:
    return worker.slot
