"""Sidebar: the uploader (bundled sample by default) and the run settings."""

from __future__ import annotations

import streamlit as st

from forecasting import RunSettings, SourceFile
from forecasting.settings import (
    DEFAULT_TIME_LIMIT,
    EXECUTOR_KINDS,
    LEVELS,
    MAX_HORIZON,
    MAX_TIME_LIMIT,
    MODES,
    server_pool_size,
)

from .dask_control import dask_control_ui
from .texts import EXECUTOR_LABELS, HELP, MODE_LABELS, SAMPLE_NAME, SAMPLE_PATH

__all__ = ["controls_ui", "upload_ui"]


def upload_ui() -> tuple[list[SourceFile], bool]:
    """The files to analyse and whether they are the user's (False: the bundled sample)."""
    st.sidebar.header("Data")
    uploaded = st.sidebar.file_uploader(
        "CSV exports", type=["csv", "txt", "tsv"], accept_multiple_files=True, help=HELP["upload"]
    )
    if uploaded:
        return [SourceFile(f.name, f.getvalue()) for f in uploaded], True
    st.sidebar.caption(f"Using the bundled sample: {SAMPLE_PATH.name} (60 months).")
    return [SourceFile(SAMPLE_NAME, SAMPLE_PATH.read_bytes())], False


def controls_ui() -> RunSettings:
    """Mode, horizon, interval level, executor, workers and the time limit per metric."""
    st.sidebar.header("Analysis")
    mode = st.sidebar.radio(
        "Narrative mode", MODES, format_func=MODE_LABELS.__getitem__, help=HELP["mode"], key="mode"
    )
    horizon = st.sidebar.slider(
        "Horizon (months)", 1, MAX_HORIZON, 3, help=HELP["horizon"], key="horizon"
    )
    level = st.sidebar.radio(
        "Interval level",
        LEVELS,
        index=1,
        format_func=lambda v: f"{v}%",
        horizontal=True,
        help=HELP["level"],
        key="level",
    )
    st.sidebar.header("Engine")
    executor = st.sidebar.selectbox(
        "Executor",
        EXECUTOR_KINDS,
        format_func=EXECUTOR_LABELS.__getitem__,
        help=HELP["executor"],
        key="executor",
    )
    most = server_pool_size()
    workers = (
        st.sidebar.slider(
            "Workers",
            1,
            most,
            most,
            help=HELP["workers"],
            key="workers",
            disabled=executor == "sequential",
        )
        if most > 1
        else 1
    )
    time_limit = st.sidebar.number_input(
        "Time limit per task (s)",
        min_value=1,
        max_value=int(MAX_TIME_LIMIT),
        value=int(DEFAULT_TIME_LIMIT),
        step=10,
        help=HELP["time_limit"],
        key="time_limit",
    )
    return RunSettings(
        mode=mode,
        horizon=horizon,
        level=level,
        executor=executor,
        workers=1 if executor == "sequential" else workers,
        time_limit=float(time_limit),
        dask_scheduler=dask_control_ui(executor),
    )
