"""Plotly figures built by pure functions: report data in, Figure out (no st.* here).

Numbers on axes and in hovers are written by ``forecasting.formatting``, as on the cards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from forecasting.formatting import axis_ticks, format_value, next_months
from forecasting.models import FAMILY_LABELS
from forecasting.narratives import outlook
from forecasting.report_types import (
    BandRow,
    ForecastRow,
    FullReport,
    HistoryRow,
    SweepRow,
    TaskRow,
    band_outline,
)
from forecasting.settings import METRICS

__all__ = [
    "WINDOW_MONTHS",
    "backtest_figure",
    "chart_config",
    "forecast_figure",
    "gantt_figure",
    "scaling_figure",
]

_BLUE: Final = "#1f4e79"
_ORANGE: Final = "#d9822b"
_BANDS: Final = ((95, "rgba(217,130,43,0.22)"), (80, "rgba(217,130,43,0.45)"))
# 14 distinct colours, one per metric job of a run (Plotly's default cycle has 10).
_JOB_COLOURS: Final = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#ce6dbd",
)
WINDOW_MONTHS: Final = 24
"""A forecast chart opens on this many months of history, then the forecast."""
_MARGIN: Final = {"l": 10, "r": 10, "t": 60, "b": 10}


def chart_config(filename: str) -> dict[str, Any]:
    """Plotly's toolbar, its PNG download named after the report's file and the chart."""
    return {
        "displaylogo": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def _yaxis(values: Sequence[float], unit: str) -> dict[str, Any]:
    """A y range padded around ``values`` with ticks written like the cards."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    ticks, text = axis_ticks(low - pad, high + pad, unit)
    return {"range": [low - pad, high + pad], "tickvals": ticks, "ticktext": text}


def _texts(values: list[float | None], unit: str) -> list[str]:
    return [format_value(v, unit) for v in values]


def _history_trace(history: Sequence[HistoryRow], unit: str) -> go.Scatter:
    values = [p["value"] for p in history]
    return go.Scatter(
        x=[p["date"] for p in history],
        y=values,
        mode="lines",
        name="Actual",
        line={"color": _BLUE, "width": 2},
        customdata=_texts(values, unit),
        hovertemplate="%{customdata}",
    )


def _band_traces(bands: list[BandRow]) -> list[go.Scatter]:
    dates = [p["date"] for p in bands]
    return [
        go.Scatter(
            x=dates + dates[::-1],
            y=band_outline(bands, level),
            mode="lines",
            fill="toself",
            fillcolor=colour,
            line={"width": 0.5 if level == 95 else 0, "color": _ORANGE, "dash": "dot"},
            name=f"{level}% band",
            hoverinfo="skip",
        )
        for level, colour in _BANDS
    ]


def _forecast_trace(
    history: list[HistoryRow], chart: list[ForecastRow], bands: list[BandRow],
    unit: str,
) -> go.Scatter:
    """The forecast from the last actual month on; its hover names both bands."""
    anchor = history[-1:]
    texts = [format_value(p["value"], unit) + " (actual)" for p in anchor] + [
        f"{format_value(p['predicted'], unit)} · 80%: {format_value(b['lower_80'], unit)} to "
        f"{format_value(b['upper_80'], unit)} · 95%: {format_value(b['lower_95'], unit)} to "
        f"{format_value(b['upper_95'], unit)}"
        for p, b in zip(chart, bands, strict=True)
    ]
    return go.Scatter(
        x=[p["date"] for p in anchor] + [p["date"] for p in chart],
        y=[p["value"] for p in anchor] + [p["predicted"] for p in chart],
        mode="lines+markers",
        name="Forecast",
        line={"color": _ORANGE, "dash": "dash", "width": 2},
        customdata=texts,
        hovertemplate="%{customdata}",
    )


def _title(body: FullReport, metric: str) -> dict[str, Any]:
    """The metric (named as on its card) and its expected change first; how it was forecast is
    in Model details."""
    health = body["model_health_report"][metric]
    card = body["kpi_cards"].get(metric)
    label = card["label"] if card else health["label"]
    seen = outlook(body, metric)
    if seen is None:
        return {"text": f"<b>{label}</b> · not forecast",
                "subtitle": {"text": health["reason"] or "no forecast"}}
    then, ahead = format_value(seen.now, seen.unit), format_value(seen.ahead, seen.unit)
    when = next_months(seen.months)
    return {
        "text": f"<b>{label}</b> · {seen.move_text} expected",
        "subtitle": {"text": f"{when[0].upper()}{when[1:]} against {seen.basis}: "
                             f"{then} → {ahead}"},
    }


def _view(
    history: list[HistoryRow], bands: list[BandRow], unit: str, whole: bool
) -> dict[str, Any]:
    """The x range, y range and ticks of the view: the last two years and the forecast, or the
    whole history. The y range fits what is in view, so a short forecast's bands read clearly."""
    shown = history if whole else history[-WINDOW_MONTHS:]
    values = [p["value"] for p in shown] + [
        v for p in bands for v in (p["lower_95"], p["upper_95"])
    ]
    end = pd.Timestamp(bands[-1]["date"] if bands else history[-1]["date"]) + pd.Timedelta(days=20)
    start = pd.Timestamp(shown[0]["date"]) - pd.Timedelta(days=15)
    return {
        "xaxis": {"range": [start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")]},
        "yaxis": _yaxis([v for v in values if v is not None], unit),
    }


def forecast_figure(
    body: FullReport, metric: str, whole: bool = False, height: int = 340
) -> go.Figure:
    """History and forecast with shaded 80% and 95% bands, on the last two years and the
    forecast (``whole``: the whole history)."""
    unit = body["model_health_report"][metric]["unit"]
    history = body["history"][metric]
    bands = body["forecast_bands"][metric]
    chart = body["forecast_chart"][metric]
    fig = go.Figure([_history_trace(history, unit)])
    if chart:
        fig.add_traces([*_band_traces(bands), _forecast_trace(history, chart, bands, unit)])
        fig.add_vline(x=chart[0]["date"], line={"color": "#888", "dash": "dot", "width": 1})
    fig.update_layout(
        title={**_title(body, metric), "font": {"size": 15}},
        height=height,
        margin=_MARGIN,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
        meta={"metric": metric},
    )
    if history:
        fig.update_layout(_view(history, bands if chart else [], unit, whole))
    return fig


def backtest_figure(body: FullReport, metric: str) -> go.Figure:
    """Each candidate's backtest forecasts against what actually happened."""
    health = body["model_health_report"][metric]
    history = body["history"][metric][-36:]
    unit = health["unit"]
    fig = go.Figure([_history_trace(history, unit)])
    fig.update_traces(mode="lines+markers", line={"color": "#222"})
    shown: set[str] = set()
    best = health.get("best_model_family")
    values = [v for p in history if (v := p["value"]) is not None]
    for fold in health.get("backtest", []):
        family = fold["family"]
        predicted = [p["predicted"] for p in fold["points"]]
        values += [v for v in predicted if v is not None]
        fig.add_trace(
            go.Scatter(
                x=[p["date"] for p in fold["points"]],
                y=predicted,
                mode="lines",
                name=FAMILY_LABELS.get(family, family),
                legendgroup=family,
                showlegend=family not in shown,
                visible=True if family == best else "legendonly",
                line={"width": 3 if family == best else 1.5},
                customdata=_texts(predicted, unit),
                hovertemplate="%{customdata}",
            )
        )
        shown.add(family)
    fig.update_layout(
        title=f"Backtest: {health['label']} forecasts from past origins vs actuals",
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis=_yaxis(values, unit) if values else {},
    )
    return fig


def _job_order(timeline: list[TaskRow]) -> list[str]:
    """The jobs in the report's metric order (the same colour for a metric on every chart),
    any other job after them in order of appearance."""
    jobs = list(dict.fromkeys(row["metric"] for row in timeline))
    rank = {metric: i for i, metric in enumerate(METRICS)}
    return sorted(jobs, key=lambda job: rank.get(job, len(rank) + jobs.index(job)))


def gantt_figure(timeline: list[TaskRow], title: str) -> go.Figure:
    """One lane per worker process, one bar per task (a fit piece or a metric's combination),
    coloured by the job it served, with a white edge so that neighbouring tasks stay apart; the
    hover names the task."""
    workers = sorted({row["worker"] for row in timeline})
    lane = {pid: f"worker {i + 1} (pid {pid})" for i, pid in enumerate(workers)}
    fig = go.Figure()
    for i, job in enumerate(_job_order(timeline)):
        rows = [row for row in timeline if row["metric"] == job]
        fig.add_trace(
            go.Bar(
                base=[row["start"] for row in rows],
                x=[row["end"] - row["start"] for row in rows],
                y=[lane[row["worker"]] for row in rows],
                orientation="h",
                name=job,
                marker={"color": _JOB_COLOURS[i % len(_JOB_COLOURS)],
                        "line": {"color": "white", "width": 1}},
                customdata=[[row["key"]] for row in rows],
                hovertemplate="%{customdata[0]}: from %{base:.2f} s, %{x:.2f} s long"
                "<extra></extra>",
            )
        )
    # The legend sits in a band of its own below the axis, as tall as its rows (about four
    # jobs a row at a laptop's width), so that it never covers the axis title.
    legend_rows = math.ceil(len(fig.data) / 4)
    below = 20 + 22 * legend_rows
    fig.update_layout(
        title=title,
        barmode="overlay",
        bargap=0.25,
        height=150 + 50 * len(workers) + below,
        xaxis={"title": "seconds since the first task started", "rangemode": "tozero"},
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                "title": "job "},
        margin={"l": 10, "r": 10, "t": 40, "b": 10 + below},
    )
    return fig


def scaling_figure(rows: list[SweepRow]) -> go.Figure:
    """Measured speedup by pool size against the ideal line; one tick per whole worker."""
    workers = [r["workers"] for r in rows]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=workers,
            y=[r["ideal"] for r in rows],
            name="ideal",
            line={"dash": "dash", "color": "#888"},
            hovertemplate="ideal %{y:.0f}x<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=workers,
            y=[r["speedup"] for r in rows],
            name="measured",
            mode="lines+markers",
            line={"color": _ORANGE},
            hovertemplate="%{x} workers: %{y:.2f}x<extra></extra>",
        )
    )
    fig.update_layout(
        title="Speedup by number of workers",
        xaxis={"title": "workers", "tickmode": "array", "tickvals": workers,
               "ticktext": [str(w) for w in workers]},
        yaxis={"title": "speedup against one worker", "ticksuffix": "x", "rangemode": "tozero"},
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig
