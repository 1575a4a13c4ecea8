"""The worker processes' side of the pool, and what can happen to a task there.

A worker sets itself up once (its own process group and temporary folder, then the pool's
initializer), says it is ready, and runs one pickled task at a time until told to stop. The
exceptions are what a task's future raises when its worker dies, outlives its time limit, or no
worker can start.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any, Final

from .errors import first_line

__all__ = [
    "PoolUnavailable",
    "TaskTimedOut",
    "WorkerDied",
    "exit_text",
    "kill_worker",
    "plain_main",
    "worker_main",
]

_MAIN_LOCK: Final = threading.Lock()


class WorkerDied(RuntimeError):
    """The worker process running the task stopped: killed, crashed or out of memory."""

    def __init__(self, pid: int, exitcode: int | None) -> None:
        super().__init__(f"worker process {pid} stopped unexpectedly ({exit_text(exitcode)})")
        self.pid, self.exitcode = pid, exitcode

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.pid, self.exitcode))


class TaskTimedOut(RuntimeError):
    """The task ran past its time limit; its worker was killed and replaced.

    Not a ``TimeoutError``: that is what ``future.result(timeout=...)`` raises when the caller's
    own wait runs out, which says nothing about the task."""

    def __init__(self, limit: float, pid: int) -> None:
        super().__init__(f"took longer than {limit:g} s; worker process {pid} was replaced")
        self.limit, self.pid = limit, pid

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit, self.pid))


class PoolUnavailable(BrokenExecutor):
    """No worker process can be started, or the pool was shut down before the task ran."""


def exit_text(exitcode: int | None) -> str:
    """A process's end in words: 'killed by SIGKILL', 'exit code 3'."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        with suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
        return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


@contextmanager
def plain_main() -> Iterator[None]:
    """Hide a Streamlit page from the processes started inside this block.

    While a page runs, Streamlit installs it as ``sys.modules["__main__"]``; forkserver and spawn
    children (and the forkserver itself) would re-run it as ``__mp_main__`` and die while
    bootstrapping. Started while a plain empty module stands in for ``__main__``, they import only
    what they need. The lock keeps two threads' swaps from interleaving; the page is put back
    unless Streamlit installed another script meanwhile.
    """
    with _MAIN_LOCK:
        original = sys.modules.get("__main__")
        stand_in = types.ModuleType("__main__")
        sys.modules["__main__"] = stand_in
        try:
            yield
        finally:
            if original is not None and sys.modules.get("__main__") is stand_in:
                sys.modules["__main__"] = original


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    try:
        data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable result or exception: say so instead
        reason = f"the result could not be sent back: {first_line(exc, with_type=True)}"
        data = pickle.dumps(("error", RuntimeError(reason)), pickle.HIGHEST_PROTOCOL)
    conn.send_bytes(data)


def worker_main(
    conn: Connection,
    tmpdir: str,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
) -> None:
    """A worker's life: set up, say ready, then run one task at a time until told to stop."""
    # Its own process group, so a kill for a time limit also reaches Stan's child process.
    os.setpgrp()
    os.environ["TMPDIR"] = tmpdir
    tempfile.tempdir = tmpdir
    try:
        if initializer is not None:
            initializer(*initargs)
    except BaseException as exc:
        _send(conn, ("failed", first_line(exc, with_type=True)))
        return
    _send(conn, ("ready", os.getpid()))
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the pool is gone
        if not payload:
            return  # asked to stop
        try:
            fn, args, kwargs = pickle.loads(payload)
            reply: tuple[Any, ...] = ("done", fn(*args, **kwargs))
        except BaseException as exc:  # the task's own failure goes back to its submitter
            reply = ("error", exc)
        _send(conn, reply)


def kill_worker(process: Any) -> None:
    """Kill a worker and its children (its process group); before it has made its group, itself."""
    if process.exitcode is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with suppress(ProcessLookupError):
            process.kill()
