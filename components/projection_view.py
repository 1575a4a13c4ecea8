"""The Timing tab's projected scaling: this run's (or the comparison's) measured task times
scheduled on 1-64 workers, beside the replaced system's claimed table."""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from forecasting.projection import TaskCost, bench_projection, claimed_table, project
from forecasting.report_types import Comparison, ProjectionRow, Timing

from .scale_charts import projection_figure

__all__ = ["projection_points", "projection_ui"]

_SHOWN: Final = (1, 2, 4, 8, 12, 16, 32, 64)


def projection_points(
    timing: Timing, comparison: Comparison | None
) -> tuple[list[ProjectionRow], str, int]:
    """The projection, where its task times come from and how many tasks: the comparison's
    sequential run (each task alone on a worker) when there is one, else this report's run."""
    if comparison and comparison["task_seconds"]:
        tasks = len(comparison["task_seconds"])
        return bench_projection(comparison), "the comparison's sequential run", tasks
    durations = [TaskCost.of(r["key"], r["end"] - r["start"], r["group"])
                 for r in timing["tasks"]]
    serial = timing["serial_seconds"] or 0.0
    measured = {int(timing["workers"]): serial + (timing["wall_seconds"] or 0.0)}
    points = [p.to_dict() for p in project(durations, serial, measured=measured)]
    return points, "this report's run", len(durations)


def _cell(value: float | None, text: str = "{:.2f}") -> str:
    """A figure as the table shows it; a count without one is an empty cell, not 'None'."""
    return "" if value is None else text.format(value)


def _table(points: list[ProjectionRow]) -> pd.DataFrame:
    claimed = {c["workers"]: c for c in claimed_table()}
    rows = []
    for p in (p for p in points if p["workers"] in _SHOWN):
        was = claimed.get(p["workers"])
        rows.append({
            "Workers": p["workers"],
            "Projected s": _cell(p["wall_s"]),
            "Projected speedup": _cell(p["speedup"], "{:.2f}x"),
            "Measured here s": _cell(p["measured_wall_s"]),
            "Replaced system s (claimed)": _cell(was and was["wall_s"], "{:.0f}"),
            "Claimed speedup": _cell(was and was["speedup"], "{:.2f}x"),
        })
    return pd.DataFrame(rows, columns=list(_COLUMNS))


_COLUMNS: Final = ("Workers", "Projected s", "Projected speedup", "Measured here s",
                   "Replaced system s (claimed)", "Claimed speedup")
_RIGHT: Final = st.column_config.TextColumn(alignment="right")


def projection_ui(timing: Timing, comparison: Comparison | None) -> None:
    points, source, tasks = projection_points(timing, comparison)
    if not tasks:
        return
    st.markdown("**Projected scaling**")
    st.caption(
        f"{tasks} tasks' measured seconds ({source}), given longest first to whichever of "
        "1–64 workers is free, plus the measured serial part once. Dots are counts measured "
        "on this machine; the replaced system's own table claims 280 s on one core, 24 s on 32."
    )
    st.plotly_chart(projection_figure(points, claimed_table()), width="stretch", key="projection")
    st.dataframe(
        _table(points),
        hide_index=True,
        column_config={name: _RIGHT for name in _COLUMNS[1:]},
        key="projection-table",
    )
