"""Dask as one more ``concurrent.futures.Executor``: a local cluster on loopback, or a cluster
at an address, so the runner stays one code path.

Jobs go through ``Client.get_executor(pure=False)`` (identical calls must not be merged into
one task). Each worker process is set up once like a pool worker (one BLAS thread, the model
libraries imported, one tiny fit of each family) before the first job. Dask is an optional
dependency: nothing here imports it until a cluster is asked for.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any, Final

from .formatting import count
from .logging_setup import logger
from .worker_process import plain_main

__all__ = [
    "CONNECT_TIMEOUT",
    "DaskExecutor",
    "LocalCluster",
    "check_address",
    "dask_executor",
    "prepare_worker",
    "start_local_cluster",
]

CONNECT_TIMEOUT: Final = 10.0
_ADDRESS: Final = re.compile(r"^(?:(tcp|tls)://)?([A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$")
_ready = False  # in a worker process: set up already


def check_address(text: str) -> str:
    """A scheduler address as ``tcp://host:port`` (``host:port`` means tcp), or a clear error."""
    found = _ADDRESS.match(text.strip())
    if found is None or not 0 < int(found.group(3)) < 65536:
        raise ValueError(
            f"{text.strip()[:80]!r} is not a Dask scheduler address: expected tcp://HOST:PORT "
            "(e.g. tcp://10.0.0.5:8786, the address `dask scheduler` prints)."
        )
    return f"{found.group(1) or 'tcp'}://{found.group(2)}:{found.group(3)}"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ValueError(
            "a Dask cluster needs Dask: pip install 'parallel-forecasting-dashboard[dask]'"
        ) from None
    return distributed


def prepare_worker() -> None:
    """Runs in each Dask worker process (once): set up as a pool worker is."""
    global _ready
    if not _ready:
        from .runner import worker_start

        worker_start()
        _ready = True


def _noop() -> int:
    return 0


class LocalCluster:
    """A local Dask cluster started here: its scheduler's address, its size, ``close()``. (Not
    distributed's object itself: that one is awaitable, which caches refuse to hold.)"""

    def __init__(self, cluster: Any, workers: int) -> None:
        self._cluster = cluster
        self.address = str(cluster.scheduler_address)
        self.workers = workers

    def close(self) -> None:
        self._cluster.close()


def start_local_cluster(workers: int) -> LocalCluster:
    """A Dask cluster of ``workers`` single-threaded worker processes on this machine, reachable
    on loopback only (127.0.0.1). Close it with ``.close()``."""
    distributed = _distributed()
    # Spawned workers re-import __main__: a Streamlit page standing there would be re-run.
    with plain_main():
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # The scheduler's HTTP server (health, and the dashboard when bokeh is installed)
            # starts even without a dashboard: on loopback, on a free port, so a second cluster
            # on the machine does not print that Dask's usual 8787 is taken.
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        )
    local = LocalCluster(cluster, workers)
    logger.bind(event="dask_local", address=local.address, workers=workers).info(
        f"started a local Dask cluster of {count(workers, 'worker')} at {local.address}"
    )
    return local


class DaskExecutor(Executor):
    """A connected client's executor, with what a comparison reports about a pool: its size,
    how long it took to be ready, a warm round trip."""

    def __init__(self, client: Any, start_seconds: float) -> None:
        self.client = client
        self.address: str = client.scheduler.address
        self.size = max(1, int(sum(client.nthreads().values())))
        self.start_seconds = start_seconds
        self._inner: Executor = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._inner.submit(fn, *args, **kwargs)

    def ping_seconds(self) -> float:
        started = time.perf_counter()
        self._inner.submit(_noop).result()
        return time.perf_counter() - started

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # distributed's executor: wait=False cancels what is still queued or running.
        self._inner.shutdown(wait=wait and not cancel_futures)
        self.client.close()


def _connect(address: str) -> Any:
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ValueError(
            f"could not reach the Dask scheduler at {address} within {CONNECT_TIMEOUT:g} s "
            f"({type(exc).__name__}): check that `dask scheduler` runs there and that its port "
            "is reachable from this machine."
        ) from None


@contextmanager
def dask_executor(address: str | None, workers: int) -> Iterator[DaskExecutor]:
    """The cluster at ``address``; without one, a local cluster of ``workers`` started for the
    block. Its workers are set up before the first job; everything opened here is closed."""
    started = time.perf_counter()
    cluster = None if address else start_local_cluster(workers)
    target = cluster.address if cluster is not None else check_address(address or "")
    try:
        client = _connect(target)
        try:
            client.run(prepare_worker)
            executor = DaskExecutor(client, time.perf_counter() - started)
        except BaseException:
            client.close()
            raise
        logger.bind(event="dask_connect", address=executor.address, workers=executor.size).info(
            f"running on the Dask cluster at {executor.address} ({executor.size} worker threads)"
        )
        try:
            yield executor
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
    finally:
        if cluster is not None:
            cluster.close()
