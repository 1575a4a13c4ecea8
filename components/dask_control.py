"""The sidebar's Dask choice: a local cluster this server starts once (loopback only, closed on
release), or a cluster at an address ($FORECAST_DASK_SCHEDULER or typed in). Also the executor
a Timing-tab comparison runs on: the server's warm pool, or the chosen Dask cluster."""

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
from forecasting.settings import DASK_SCHEDULER_ENV, server_pool_size

from .engine import get_pool

__all__ = ["comparison_pool", "dask_control_ui", "local_cluster"]

_WHERE = {"local": "Local cluster on this server", "address": "Cluster at an address"}


def _close(cluster: LocalCluster) -> None:
    cluster.close()


@st.cache_resource(show_spinner="Starting a local Dask cluster…", on_release=_close)
def local_cluster(workers: int) -> LocalCluster:
    """One local Dask cluster per server: ``workers`` single-threaded processes on 127.0.0.1."""
    return start_local_cluster(workers)


def dask_control_ui(executor: str) -> str | None:
    """For the Dask executor, the scheduler's address the jobs go to; None for other choices.
    A missing or malformed address stops the page with one line saying what to type."""
    if executor != "dask":
        return None
    configured = os.environ.get(DASK_SCHEDULER_ENV, "").strip()
    where = st.sidebar.radio(
        "Dask cluster",
        tuple(_WHERE),
        index=1 if configured else 0,
        format_func=_WHERE.__getitem__,
        key="dask-where",
        help="A local cluster runs the jobs in worker processes of this server; a cluster at "
        "an address runs them on the machines whose workers joined that scheduler.",
    )
    if where == "local":
        workers = server_pool_size()
        cluster = local_cluster(workers)
        st.sidebar.caption(f"{workers} worker process(es) on {cluster.address}.")
        return cluster.address
    typed = st.sidebar.text_input(
        "Scheduler address", value=configured, placeholder="tcp://10.0.0.5:8786", key="dask-address"
    )
    try:
        return check_address(typed)
    except ValueError as error:
        st.sidebar.error(str(error) if typed.strip() else "Type the Dask scheduler's address.")
        st.stop()
    return None  # st.stop() ends the run; this line is never reached


@contextmanager
def comparison_pool(settings: RunSettings) -> Iterator[WorkerPool | DaskExecutor]:
    """Where a comparison runs: the chosen Dask cluster, else the server's warm pool."""
    if settings.executor != "dask":
        yield get_pool()
        return
    with dask_executor(settings.dask_scheduler, settings.workers) as cluster:
        yield cluster
