"""The Timing tab: sequential vs parallel measured in one run, scaling sweep, worker timeline."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from forecasting import Prepared, RunSettings
from forecasting.bench import compare, scaling_sweep
from forecasting.models import FAMILY_LABELS
from forecasting.settings import server_pool_size

from .charts import gantt_figure, scaling_figure
from .dask_control import comparison_pool

__all__ = ["timing_ui"]


def _this_run(timing: dict[str, Any]) -> None:
    st.caption(
        f"This report: {timing['executor']} executor, {timing['workers']} worker(s), "
        f"{timing['wall_seconds']:.2f} s for the jobs, {timing['serial_seconds']:.2f} s "
        f"ingest and KPIs, on a machine with {timing['cpu_count']} CPU(s). Cached runs "
        "show the timing of the run that filled the cache."
    )


def _family_split(comparison: dict[str, Any]) -> None:
    rows = [
        {"metric": m, "family": FAMILY_LABELS.get(f, f), "seconds": s}
        for m, info in comparison["per_metric"].items()
        for f, s in info["families"].items()
    ]
    if rows:
        fig = px.bar(
            pd.DataFrame(rows),
            x="seconds",
            y="metric",
            color="family",
            orientation="h",
            title="Seconds per metric, by model family (sequential run)",
        )
        fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10})
        st.plotly_chart(fig, width="stretch", key="family-split")


def _comparison_ui(c: dict[str, Any]) -> None:
    row = st.columns(4)
    row[0].metric("Sequential", f"{c['sequential_s']:.2f} s", border=True)
    row[1].metric("Parallel", f"{c['parallel_s']:.2f} s", f"{c['workers']} workers", border=True)
    row[2].metric(
        "Speedup",
        f"{c['speedup']:.2f}x",
        f"ideal {c['ideal_speedup']}x",
        delta_color="off",
        border=True,
    )
    row[3].metric(
        "Efficiency", f"{c['efficiency'] * 100:.0f}%", help="speedup ÷ workers", border=True
    )
    row = st.columns(4)
    row[0].metric(
        "Amdahl bound",
        f"{c['amdahl_bound']:.2f}x",
        f"end to end {c['end_to_end_speedup']:.2f}x",
        delta_color="off",
        help="1 / (serial + parallel ÷ workers), from the measured serial part: "
        f"{c['serial_s']:.3f} s of ingest, KPIs, report assembly, transfer. The end-to-end "
        "speedup counts that serial part in both runs; the Speedup card is the jobs alone.",
        border=True,
    )
    row[1].metric(
        "Pool start (cold)",
        f"{c['pool_start_s']:.2f} s",
        help="Starting the worker processes and warming them up, paid once per server.",
        border=True,
    )
    row[2].metric("Pool round trip (warm)", f"{c['pool_warm_s'] * 1000:.0f} ms", border=True)
    row[3].metric(
        "Same forecasts",
        "✓ identical" if c["identical"] else "✗ differ",
        help="Every forecast and band equal to 1e-9 in both runs.",
        border=True,
    )
    st.plotly_chart(
        gantt_figure(c["timeline"], "Parallel run: one lane per worker process"),
        width="stretch",
        key="gantt-compare",
    )
    _family_split(c)


def timing_ui(
    report: dict[str, Any], prepared: Prepared, settings: RunSettings, key: str
) -> dict[str, Any] | None:
    """Run the comparison on demand; returns it (kept in the session) for the report JSON.

    Both runs use the server's warm pool (one job at a time, then on the chosen workers), so a
    comparison fits nothing in the server process and other sessions keep being served."""
    body = report["full_analysis_report"]
    _this_run(body["timing"])
    if body["timing"]["workers"] > 1:
        st.plotly_chart(
            gantt_figure(body["timing"]["per_metric"], "This report's run"),
            width="stretch",
            key="gantt-run",
        )
    if st.button("Compare sequential vs parallel", type="primary", key="compare"):
        with st.status("Running the 14 jobs twice…", expanded=True) as status, \
                comparison_pool(settings) as pool:
            workers = max(2, settings.workers) if pool.size > 1 else 1
            comparison = compare(
                prepared,
                pool,
                workers,
                on_phase=lambda text: status.update(label=text.capitalize()),
                time_limit=settings.time_limit,
            )
            status.update(label="Comparison done", state="complete", expanded=False)
        st.session_state[f"comparison-{key}"] = comparison
    comparison = st.session_state.get(f"comparison-{key}")
    if comparison:
        _comparison_ui(comparison)
    size = server_pool_size()
    if st.button(f"Scaling sweep: 1 to {size} workers", key="sweep"):
        with st.status("Timing each number of workers…", expanded=True) as status, \
                comparison_pool(settings) as pool:
            rows = scaling_sweep(
                prepared,
                pool,
                range(1, pool.size + 1),
                on_phase=lambda text: status.update(label=text.capitalize()),
                time_limit=settings.time_limit,
            )
            status.update(label="Sweep done", state="complete", expanded=False)
        st.session_state[f"sweep-{key}"] = rows
    if rows := st.session_state.get(f"sweep-{key}"):
        st.plotly_chart(scaling_figure(rows), width="stretch", key="scaling")
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        return {**(comparison or {}), "scaling": rows}
    return comparison
