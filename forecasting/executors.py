"""The one place an executor choice becomes an executor, for the CLI and the dashboard alike.

``open_backend(settings, pool)`` gives a ``Backend``: where a run's jobs go, how many of them may
be in flight at once, their time limit, and the names the report's timing uses. With ``pool``
(the dashboard server's one shared pool) the process and sequential choices run on it, a session
never holding more than its worker count of workers; without it they get a pool of their own for
the run. Sequential means one job at a time in one warm worker process, so nothing is fitted in
the caller's process and the time limit holds there too. Dask (``dask_cluster``) is a cluster at
``settings.dask_scheduler``, or a local one started for the run; at most as many jobs are in
flight as the cluster has worker threads, so a job's time limit counts from when it can start.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from .dask_cluster import DaskExecutor, dask_executor
from .pool import WorkerPool
from .runner import make_worker_pool
from .settings import DEFAULT_TIME_LIMIT, RunSettings

__all__ = ["IN_PROCESS", "Backend", "open_backend"]


@dataclass(frozen=True)
class Backend:
    """What runs a report's jobs. ``executor`` None: this process, one job after another."""

    kind: str
    executor: Executor | None
    workers: int
    max_in_flight: int | None
    time_limit: float = DEFAULT_TIME_LIMIT

    @property
    def pool(self) -> WorkerPool | None:
        return self.executor if isinstance(self.executor, WorkerPool) else None

    @property
    def measurable(self) -> WorkerPool | DaskExecutor | None:
        """The executor a sequential-vs-parallel comparison can run on (its size and start
        time known): the process pool or the Dask cluster; None for threads or in-process."""
        return self.executor if isinstance(self.executor, WorkerPool | DaskExecutor) else None


# The library's default: fit here, one after another (no time limit can stop this process).
IN_PROCESS = Backend("sequential", None, 1, 1)


@contextmanager
def open_backend(settings: RunSettings, pool: WorkerPool | None = None) -> Iterator[Backend]:
    """The executor for ``settings``; what this opened is shut down on leaving the block."""
    limit = settings.time_limit
    if settings.executor == "dask" or settings.dask_scheduler:
        with dask_executor(settings.dask_scheduler, settings.workers) as cluster:
            yield Backend("dask", cluster, cluster.size, cluster.size, limit)
    elif settings.executor == "threads":
        threads = ThreadPoolExecutor(settings.workers, thread_name_prefix="forecast")
        try:
            yield Backend("threads", threads, settings.workers, settings.workers, limit)
        finally:  # a thread past its time limit cannot be stopped: do not wait for it
            threads.shutdown(wait=False, cancel_futures=True)
    else:
        wanted = 1 if settings.executor == "sequential" else settings.workers
        own = pool is None
        used = make_worker_pool(wanted) if pool is None else pool
        workers = min(wanted, used.size)
        try:
            yield Backend(settings.executor, used, workers, workers, limit)
        finally:
            if own:
                used.shutdown()

