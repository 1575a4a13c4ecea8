"""The report's ``entity_forecasts`` section: every entity asked for, keyed by its label, with its
forecasts (shaped like the company's ``forecast_chart``), model health and expected change, or
the reason it was not forecast."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .entities import ENTITY_METRICS, EntitySeries
from .jsonvalues import day as _day
from .jsonvalues import number as _num
from .pipeline import Analysis
from .report_types import BandRow, EntityEntry, ExpectedChange, ForecastRow, Health, HistoryRow
from .runner import MetricResult

__all__ = ["entity_forecasts", "expected_change"]


def expected_change(history: pd.Series, forecast: np.ndarray) -> ExpectedChange:
    """The forecast months' total against the same calendar months a year earlier (the whole
    horizon, so a season does not read as a trend); percent of the earlier total's size."""
    months = len(forecast)
    earlier = history.to_numpy(dtype="float64")[len(history) - 12 : len(history) - 12 + months]
    if len(history) < 12 or len(earlier) < months or not np.all(np.isfinite(earlier)):
        return {"forecast_total": _num(np.sum(forecast)), "year_before_total": None,
                "change_percent": None}
    before, ahead = float(np.sum(earlier)), float(np.sum(forecast))
    change = (ahead - before) / abs(before) * 100 if before != 0 else None
    return {"forecast_total": _num(ahead), "year_before_total": _num(before),
            "change_percent": _num(change)}


def _skipped_entry(keys: dict[str, str], reason: str) -> EntityEntry:
    return {
        "entity": keys,
        "status": "skipped",
        "reason": reason,
        "months": None,
        "forecast_chart": {},
        "forecast_bands": {},
        "history": {},
        "model_health_report": {},
        "expected_change": {},
        "notes": [],
    }


def _history_rows(series: EntitySeries, metric: str) -> list[HistoryRow]:
    filled = set(pd.DatetimeIndex(series.filled))
    values = series.values[metric]
    return [
        {"date": _day(d), "value": _num(v), "filled": d in filled}
        for d, v in zip(pd.DatetimeIndex(values.index), values.to_numpy(dtype="float64"),
                        strict=True)
        if not math.isnan(v)
    ]


def _entry(series: EntitySeries, results: dict[str, MetricResult], level: int) -> EntityEntry:
    # report.py imports this module; its row and health builders are read at call time.
    from .report import _forecast_rows, _health

    chart: dict[str, list[ForecastRow]] = {}
    bands: dict[str, list[BandRow]] = {}
    health: dict[str, Health] = {}
    history: dict[str, list[HistoryRow]] = {}
    change: dict[str, ExpectedChange] = {}
    for metric in ENTITY_METRICS:
        result = results.get(metric)
        values = series.values[metric] if metric in series.values else pd.Series(dtype="float64")
        chart[metric], bands[metric] = _forecast_rows(result, level) if result else ([], [])
        health[metric] = _health(metric, result, series.skipped.get(metric), values)
        # The per-fold backtest points stay out: hundreds of entities would make the report
        # tens of MB; the scores, choice and coverage are all here.
        health[metric].pop("backtest", None)
        history[metric] = _history_rows(series, metric) if metric in series.values else []
        if result is not None and result.selection is not None:
            change[metric] = expected_change(values, result.selection.forecast.mean)
    forecast = [m for m in ENTITY_METRICS if health[m]["status"] == "ok"]
    problems = [f"{m}: {health[m]['reason']}" for m in ENTITY_METRICS if m not in forecast]
    return {
        "entity": series.keys,
        "status": "ok" if forecast else "failed",
        "reason": "; ".join(problems),
        "months": len(series.values),
        "forecast_chart": chart,
        "forecast_bands": bands,
        "history": history,
        "model_health_report": health,
        "expected_change": change,
        "notes": series.notes,
    }


def entity_forecasts(analysis: Analysis) -> dict[str, EntityEntry]:
    """Every entity of the plan, forecast or not, keyed by its label (largest revenue first,
    then the skipped ones in name order)."""
    plan = analysis.prepared.entities
    if plan is None:
        return {}
    level = analysis.prepared.level
    out = {
        s.label: _entry(s, analysis.entity_results.get(s.label, {}), level) for s in plan.series
    }
    for label in sorted(plan.skipped):
        out[label] = _skipped_entry(plan.keys[label], plan.skipped[label])
    return out
