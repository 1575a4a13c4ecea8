"""Plotly figures for the per-entity view and the projected scaling, built by pure functions:
report data in, Figure out (no st.* here)."""

from __future__ import annotations

import html
import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from forecasting.formatting import axis_ticks
from forecasting.report_types import (
    ClaimedRow,
    EntityEntry,
    ProjectionRow,
    band_at,
    band_outline,
)

__all__ = ["entity_grid_figure", "projection_figure"]

_BLUE = "#1f4e79"
_ORANGE = "#d9822b"
_GREY = "#888"
_HISTORY_MONTHS = 24


def _panel(fig: go.Figure, entry: EntityEntry, metric: str, row: int, col: int,
           unit: str) -> None:
    """One entity's panel, its y ticks written like the cards ($932K, not 932k)."""
    _panel_traces(fig, entry, metric, row, col)
    shown = [p["value"] for p in entry["history"].get(metric, [])[-_HISTORY_MONTHS:]] + [
        v for b in entry["forecast_bands"].get(metric, []) for v in band_at(b, 95)]
    values = [v for v in shown if v is not None]
    if values:
        ticks, text = axis_ticks(min(values), max(values), unit, target=4)
        fig.update_yaxes(tickvals=ticks, ticktext=text, row=row, col=col)


def _panel_traces(
    fig: go.Figure, entry: EntityEntry, metric: str, row: int, col: int
) -> None:
    history = entry["history"].get(metric, [])[-_HISTORY_MONTHS:]
    chart = entry["forecast_chart"].get(metric, [])
    bands = entry["forecast_bands"].get(metric, [])
    first = row == 1 and col == 1
    fig.add_trace(
        go.Scatter(x=[p["date"] for p in history], y=[p["value"] for p in history], mode="lines",
                   line={"color": _BLUE, "width": 1.5}, name="Actual", legendgroup="actual",
                   showlegend=first),
        row=row, col=col,
    )
    if not chart:
        return
    dates = [p["date"] for p in bands]
    for level, opacity in ((95, 0.15), (80, 0.3)):
        fig.add_trace(
            go.Scatter(x=dates + dates[::-1],
                       y=band_outline(bands, level),
                       fill="toself", fillcolor=f"rgba(217,130,43,{opacity})", line={"width": 0},
                       mode="lines", name=f"{level}% band", legendgroup=f"band{level}",
                       showlegend=first, hoverinfo="skip"),
            row=row, col=col,
        )
    anchor = history[-1:]
    fig.add_trace(
        go.Scatter(x=[p["date"] for p in anchor] + [p["date"] for p in chart],
                   y=[p["value"] for p in anchor] + [p["predicted"] for p in chart],
                   mode="lines+markers", line={"color": _ORANGE, "dash": "dash"},
                   marker={"size": 4}, name="Forecast", legendgroup="forecast", showlegend=first),
        row=row, col=col,
    )


def entity_grid_figure(
    section: dict[str, EntityEntry], entities: list[str], metric: str, unit: str = "currency",
    columns: int = 3,
) -> go.Figure:
    """Small multiples: one panel per entity (last two years, the forecast, its 80%/95% bands),
    each with its own scale, titled with the entity and its expected change."""
    rows = max(1, math.ceil(len(entities) / columns))
    titles = []
    for name in entities:
        expected = section[name]["expected_change"].get(metric)
        change = expected["change_percent"] if expected else None
        # Entity names come from the upload: escaped, Plotly renders a subset of HTML.
        titles.append(html.escape(name) + ("" if change is None else f" ({change:+.1f}%)"))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles,
                        vertical_spacing=min(0.12, 0.5 / rows), horizontal_spacing=0.06)
    for i, name in enumerate(entities):
        _panel(fig, section[name], metric, i // columns + 1, i % columns + 1, unit)
    fig.update_annotations(font={"size": 12})
    fig.update_layout(height=100 + 220 * rows, margin={"l": 10, "r": 10, "t": 70, "b": 10},
                      legend={"orientation": "h", "y": -0.04 if rows > 2 else -0.12})
    return fig


def projection_figure(points: list[ProjectionRow], claimed: list[ClaimedRow]) -> go.Figure:
    """Projected speedup for 1-64 workers, the points measured here, the ideal line and the
    replaced system's claimed speedups."""
    workers = [p["workers"] for p in points]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=workers, y=workers, name="ideal",
                             line={"dash": "dash", "color": _GREY}))
    fig.add_trace(go.Scatter(x=workers, y=[p["speedup"] for p in points],
                             name="projected (this run's tasks)", mode="lines",
                             line={"color": _ORANGE, "width": 3}))
    one = points[0]["measured_wall_s"] if points and points[0]["measured"] else None
    base = one or (points[0]["wall_s"] if points else 1.0)
    measured = [(p["workers"], wall) for p in points if p["measured"]
                and (wall := p["measured_wall_s"])]
    fig.add_trace(go.Scatter(x=[workers for workers, _ in measured],
                             y=[base / wall for _, wall in measured],
                             name="measured on this machine", mode="markers",
                             marker={"size": 11, "color": _BLUE, "symbol": "circle"}))
    fig.add_trace(go.Scatter(x=[c["workers"] for c in claimed], y=[c["speedup"] for c in claimed],
                             name="replaced system (claimed)", mode="lines+markers",
                             line={"color": "#b22", "dash": "dot"}, marker={"symbol": "x"}))
    fig.update_layout(title="Projected speedup by number of workers", xaxis_title="workers",
                      yaxis_title="speedup vs one worker", height=360,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis={"type": "log", "tickvals": [1, 2, 4, 8, 12, 16, 32, 64]},
                      yaxis={"type": "log", "tickvals": [1, 2, 4, 8, 16, 32, 64]})
    return fig
