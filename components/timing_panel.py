"""The Timing tab: sequential vs parallel measured in one run, led by one sentence that says what
the speedup measures (the CPU the workers got), the scaling sweep and the worker timeline.

What it measures is kept in the session (``measured``), never returned: the downloadable report
is assembled from the session by ``report_view.downloadable``, whatever order the tabs run in.
"""

from __future__ import annotations

from typing import cast

import pandas as pd
import plotly.express as px
import streamlit as st

from forecasting import Prepared, RunSettings
from forecasting.bench import compare, scaling_sweep
from forecasting.formatting import count
from forecasting.machine import BUSY_SHARE, OTHERS_BUSY
from forecasting.models import FAMILY_LABELS
from forecasting.report_types import Comparison, FullReport, SweepRow, Timing

from .charts import chart_config, gantt_figure, scaling_figure
from .dask_control import comparison_pool

__all__ = ["measured_comparison", "measured_sweep", "sweep_ui", "timing_ui"]

_COMPARISON = "comparison"
_SWEEP = "sweep"


def measured_comparison(run: str) -> Comparison | None:
    """The comparison this session measured for the run ``run`` (files, mapping, horizon)."""
    return cast("Comparison | None", st.session_state.get(f"{_COMPARISON}-{run}"))


def measured_sweep(run: str) -> list[SweepRow] | None:
    """The scaling sweep this session measured for the run ``run``."""
    return cast("list[SweepRow] | None", st.session_state.get(f"{_SWEEP}-{run}"))


def _this_run(timing: Timing) -> None:
    where = (
        "one worker, one job at a time"
        if timing["executor"] == "sequential"
        else f"{timing['executor']}, {count(timing['workers'], 'worker')}"
    )
    st.caption(
        f"This report: {where}, {timing['wall_seconds']:.2f} s for the jobs, "
        f"{timing['serial_seconds']:.2f} s ingest and KPIs, on a machine with "
        f"{count(timing['cpu_count'], 'CPU')}. Cached runs show the timing of the run that "
        "filled the cache."
    )


def _family_split(comparison: Comparison) -> None:
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
            title="Seconds per metric, by model family (one after another)",
        )
        fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10})
        st.plotly_chart(fig, width="stretch", key="family-split",
                        config=chart_config("seconds_per_metric"))


def _headline(c: Comparison) -> None:
    """The one sentence that says what happened, coloured by whether it measures the engine."""
    if c["verdict"] == "clean":
        st.success(c["headline"], icon="✅")
    else:
        st.warning(c["headline"] or "No CPU figures were measured.", icon="⚠️")


def _time_cards(c: Comparison) -> None:
    row = st.columns(4)
    row[0].metric("Sequential", f"{c['sequential_s']:.2f} s", border=True,
                  help="The jobs run one at a time in one warm worker of the pool.")
    saved = c["parallel_s"] - c["sequential_s"]
    row[1].metric(
        "Parallel",
        f"{c['parallel_s']:.2f} s",
        f"{saved:+.2f} s ({saved / c['sequential_s'] * 100:+.0f}%)" if c["sequential_s"] else None,
        delta_color="inverse",  # less time is better: green when parallel is quicker
        help=f"The same jobs on {count(c['workers'], 'worker')} of the same pool.",
        border=True,
    )
    row[2].metric(
        "Speedup",
        f"{c['speedup']:.2f}x",
        f"ideal {c['ideal_speedup']}x",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    row[3].metric(
        "Efficiency", f"{c['efficiency'] * 100:.0f}%", help="speedup ÷ workers", border=True
    )


def _cpus_text(cpus: float | None) -> str:
    return "an unknown share of the CPUs" if cpus is None else f"{cpus:.2f} CPUs"


def _cpu_cards(c: Comparison) -> None:
    row = st.columns(4)
    cpus = c["parallel_cpus"]
    row[0].metric(
        "CPUs the workers got",
        "n/a" if cpus is None else f"{cpus:.1f} of {c['workers']}",
        help="CPU seconds of the worker processes (and their Stan runs) ÷ wall time of the "
        f"parallel run; one after another: {c['sequential_cpus'] or 'n/a'} of 1. Other "
        f"processes on the machine used {_cpus_text(c['other_cpus'])} meanwhile. Below "
        f"{BUSY_SHARE:.0%} of the workers while others used {OTHERS_BUSY} CPUs or more, the "
        "machine was busy; with nothing else running, the workers were waiting for work.",
        border=True,
    )
    before, after = c["load_before"], c["load_after"]
    row[1].metric(
        "Load average",
        "n/a" if before is None or after is None else f"{before:.1f} → {after:.1f}",
        help=f"One-minute load average before and after the runs; "
        f"{count(c['cpus_available'], 'CPU')} available to this process.",
        border=True,
    )
    row[2].metric(
        "Amdahl bound",
        f"{c['amdahl_bound']:.2f}x",
        f"end to end {c['end_to_end_speedup']:.2f}x",
        delta_color="off",
        delta_arrow="off",
        help="1 / (serial + parallel ÷ workers), from the measured serial part: "
        f"{c['serial_s']:.3f} s of ingest, KPIs, report assembly, transfer.",
        border=True,
    )
    row[3].metric(
        "Same forecasts",
        "✓ identical" if c["identical"] else "✗ differ",
        help="Every forecast and band equal to 1e-9 in both runs.",
        border=True,
    )
    st.caption(
        f"Warm pool: started in {c['pool_start_s']:.2f} s once per server, a round trip to a "
        f"warm worker takes {c['pool_warm_s'] * 1000:.0f} ms. Every worker ran one job before "
        "the timed runs, so both sides start equally warm."
    )


def _comparison_ui(c: Comparison) -> None:
    _headline(c)
    _time_cards(c)
    _cpu_cards(c)
    st.plotly_chart(
        gantt_figure(c["timeline"], "Parallel run: one lane per worker process"),
        width="stretch",
        key="gantt-compare",
        config=chart_config("parallel_run_timeline"),
    )
    _family_split(c)


# The sweep's columns, readable names and how each figure is written; a run without a figure
# (the CPUs of Dask workers on other machines) is an empty cell, not 'None'.
_SWEEP_COLUMNS = (
    ("workers", "Workers", "{:d}"),
    ("parallel_s", "Time (s)", "{:.2f}"),
    ("speedup", "Speedup", "{:.2f}x"),
    ("ideal", "Ideal", "{:d}x"),
    ("cpus", "CPUs the workers got", "{:.1f}"),
    ("sequential_s", "One worker, one after another (s)", "{:.2f}"),
)


def _sweep_table(rows: list[SweepRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [{name: "" if (value := dict(r).get(field)) is None else text.format(value)
          for field, name, text in _SWEEP_COLUMNS} for r in rows],
        columns=[name for _, name, _ in _SWEEP_COLUMNS],
    )


def _and(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def sweep_ui(rows: list[SweepRow]) -> None:
    """The sweep's chart (whole-worker ticks) and table (readable column names)."""
    st.plotly_chart(scaling_figure(rows), width="stretch", key="scaling",
                    config=chart_config("speedup_by_workers"))
    # Workers short of CPU while other processes took some: a busy machine. (Short of CPU with
    # nothing else running, they were waiting for their next task: the engine's own cost.)
    busy = [r["workers"] for r in rows if (cpus := r["cpus"]) is not None
            and cpus < BUSY_SHARE * r["workers"]
            and ((others := r["other_cpus"]) is None or others >= OTHERS_BUSY)]
    if busy:
        st.warning(
            f"The machine was busy during the sweep: with {_and(busy)} "
            f"{'worker' if busy == [1] else 'workers'} they got less than {BUSY_SHARE:.0%} of "
            "their CPUs, so those speedups are not a measure of the engine.",
            icon="⚠️",
        )
    right = st.column_config.TextColumn(alignment="right")
    st.dataframe(_sweep_table(rows), hide_index=True,
                 column_config={name: right for _, name, _ in _SWEEP_COLUMNS})


def _run_comparison(prepared: Prepared, settings: RunSettings, run: str) -> None:
    with st.status("Running the jobs twice…", expanded=True) as status, \
            comparison_pool(settings) as pool:
        workers = max(2, settings.workers) if pool.size > 1 else 1
        st.session_state[f"{_COMPARISON}-{run}"] = compare(
            prepared,
            pool,
            workers,
            on_phase=lambda text: status.update(label=text.capitalize()),
            time_limit=settings.time_limit,
        )
        status.update(label="Comparison done", state="complete", expanded=False)


def _run_sweep(prepared: Prepared, settings: RunSettings, run: str) -> None:
    with st.status("Timing each number of workers…", expanded=True) as status, \
            comparison_pool(settings) as pool:
        st.session_state[f"{_SWEEP}-{run}"] = scaling_sweep(
            prepared,
            pool,
            range(1, pool.size + 1),
            on_phase=lambda text: status.update(label=text.capitalize()),
            time_limit=settings.time_limit,
        )
        status.update(label="Sweep done", state="complete", expanded=False)


def timing_ui(
    body: FullReport, prepared: Prepared, settings: RunSettings, run: str, pool_size: int
) -> None:
    """This report's run, then the comparison and the sweep on demand (kept in the session
    under ``run``). Both use the server's warm pool, one job at a time and then on the chosen
    workers, so a comparison fits nothing in the server process."""
    _this_run(body["timing"])
    if body["timing"]["workers"] > 1:
        st.plotly_chart(
            gantt_figure(body["timing"]["tasks"], "This report's run: one bar per task"),
            width="stretch",
            key="gantt-run",
            config=chart_config("report_run_timeline"),
        )
    if st.button("Compare sequential vs parallel", type="primary", key="compare"):
        _run_comparison(prepared, settings, run)
    if comparison := measured_comparison(run):
        _comparison_ui(comparison)
    if st.button(f"Scaling sweep: 1 to {pool_size} workers", key="sweep"):
        _run_sweep(prepared, settings, run)
    if rows := measured_sweep(run):
        sweep_ui(rows)
