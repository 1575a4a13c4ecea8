"""The sidebar's Dask choice: a local cluster this server starts once (loopback only, closed on
release), or, only where the server's operator set $FORECAST_DASK_SCHEDULER, the cluster at that
address. The page never takes an address from the user: a typed address would make the server
connect wherever a visitor points it. Also the executor a Timing-tab comparison runs on: the
server's warm pool, or the chosen Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from forecasting import RunSettings, WorkerPool
from forecasting.dask_cluster import (
    DaskExecutor,
    LocalCluster,
    check_address,
    dask_executor,
    start_local_cluster,
)
from forecasting.formatting import count
from forecasting.settings import DASK_SCHEDULER_ENV, server_pool_size

from .engine import get_pool

__all__ = ["comparison_pool", "configured_scheduler", "dask_control_ui", "local_cluster"]

_WHERE = {"local": "Local cluster on this server", "address": "The configured cluster"}


def _close(cluster: LocalCluster) -> None:
    cluster.close()


@st.cache_resource(show_spinner="Starting a local Dask cluster…", on_release=_close)
def local_cluster(workers: int) -> LocalCluster:
    """One local Dask cluster per server: ``workers`` single-threaded processes on 127.0.0.1."""
    return start_local_cluster(workers)


def configured_scheduler() -> str | None:
    """The scheduler address the server's environment names ($FORECAST_DASK_SCHEDULER), or None
    when it names none."""
    return os.environ.get(DASK_SCHEDULER_ENV, "").strip() or None


def dask_control_ui(executor: str) -> str | None:
    """For the Dask executor, the scheduler's address the jobs go to; None for other choices.
    A configured address that is malformed stops the page with one line saying what to set."""
    if executor != "dask":
        return None
    configured = configured_scheduler()
    where = (
        st.sidebar.radio(
            "Dask cluster",
            tuple(_WHERE),
            index=1,
            format_func=_WHERE.__getitem__,
            key="dask-where",
            help="A local cluster runs the jobs in worker processes of this server; the "
            "configured cluster runs them on the machines whose workers joined its scheduler.",
        )
        if configured
        else "local"
    )
    if where == "local":
        workers = server_pool_size()
        cluster = local_cluster(workers)
        st.sidebar.caption(f"{count(workers, 'worker process', 'worker processes')} on "
                           f"{cluster.address}.")
        return cluster.address
    try:
        address = check_address(configured or "")
    except ValueError as error:
        st.sidebar.error(f"{error} Set {DASK_SCHEDULER_ENV} on the server to such an address.")
        st.stop()
    st.sidebar.caption(f"Scheduler {address}, set by the server's {DASK_SCHEDULER_ENV}.")
    return address


@contextmanager
def comparison_pool(settings: RunSettings) -> Iterator[WorkerPool | DaskExecutor]:
    """Where a comparison runs: the chosen Dask cluster, else the server's warm pool."""
    if settings.executor != "dask":
        yield get_pool()
        return
    with dask_executor(settings.dask_scheduler, settings.workers) as cluster:
        yield cluster
