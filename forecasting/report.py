"""Analysis -> the report dict (``full_analysis_report``), strict JSON, and the forecasts CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from . import __version__
from .certainty import accuracy_entry
from .kpis import METRIC_INFO, METRIC_INPUTS
from .models import FAMILY_LABELS
from .narratives import build_narratives
from .pipeline import Analysis
from .runner import MetricResult
from .settings import METRICS, Mode

__all__ = [
    "build_report",
    "dumps",
    "forecasts_csv",
    "headline_kpis",
    "loads",
    "with_comparison",
    "with_mode",
]

_ROUND: Final = 6


def _num(value: Any) -> float | None:
    """A JSON-safe number: NaN and infinities become null."""
    if value is None:
        return None
    number = float(value)
    return round(number, _ROUND) if math.isfinite(number) else None


def _day(ts: Any) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _forecast_rows(
    result: MetricResult, level: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if result.selection is None:
        return [], []
    sel = result.selection
    chart, bands = [], []
    for i, date in enumerate(sel.dates):
        lower, upper = sel.forecast.bands[level]
        chart.append(
            {
                "date": _day(date),
                "predicted": _num(sel.forecast.mean[i]),
                "lower": _num(lower[i]),
                "upper": _num(upper[i]),
            }
        )
        bands.append(
            {
                "date": _day(date),
                **{
                    f"{side}_{lv}": _num(sel.forecast.bands[lv][k][i])
                    for lv in (80, 95)
                    for k, side in enumerate(("lower", "upper"))
                },
            }
        )
    return chart, bands


def _health(
    metric: str, result: MetricResult | None, skipped: str | None, history: pd.Series
) -> dict[str, Any]:
    info = METRIC_INFO[metric]
    base = {"label": info.label, "unit": info.unit, "formula": info.formula}
    if result is None:
        return {
            **base,
            "best_model_selected": None,
            "status": "skipped",
            "reason": skipped or "not computed",
            "candidates": [],
            "backtest": [],
            "notes": [],
        }
    if result.selection is None:
        return {
            **base,
            "best_model_selected": None,
            "status": "failed",
            "reason": result.reason,
            "candidates": [],
            "backtest": [],
            "notes": [],
        }
    sel = result.selection
    best = next(s for s in sel.scores if s.family == sel.best)
    candidates = [
        {
            "model": s.name,
            "family": s.family,
            "family_label": FAMILY_LABELS[s.family],
            "status": s.status,
            "reason": s.reason,
            "mase": _num(s.mase),
            "smape": _num(s.smape),
            "rmse": _num(s.rmse),
            "coverage": _num(s.coverage),
            "seconds": _num(sel.family_seconds.get(s.family, 0.0)),
        }
        for s in sorted(sel.scores, key=lambda s: (s.mase is None, s.mase or 0.0))
    ]
    backtest = []
    for family, folds in sel.folds.items():
        for fold in folds:
            dates = pd.date_range(fold.start, periods=len(fold.predicted), freq="MS")
            actual = history.reindex(dates)
            backtest.append(
                {
                    "family": family,
                    "start": _day(fold.start),
                    "points": [
                        {
                            "date": _day(d),
                            "actual": _num(actual.iloc[i]),
                            "predicted": _num(fold.predicted[i]),
                            "lower": _num(fold.lower[i]),
                            "upper": _num(fold.upper[i]),
                        }
                        for i, d in enumerate(dates)
                    ],
                }
            )
    accuracy = accuracy_entry(sel, history, info.unit)
    single = next((s for s in sel.scores if s.family == sel.best_single), None)
    return {
        **base,
        "best_model_selected": sel.best_name,
        "best_model_family": sel.best,
        "method": sel.method,
        "best_by_backtest": single.name if single else None,
        "best_by_backtest_family": sel.best_single or None,
        "combination_weights": {f: _num(w) for f, w in sel.weights.items()},
        "status": "ok",
        "reason": "",
        "backtest_mase": _num(best.mase),
        "backtest_smape": _num(best.smape),
        "backtest_coverage": _num(best.coverage),
        "backtest_coverage_80": _num(sel.coverage.get(80)),
        "backtest_coverage_95": _num(sel.coverage.get(95)),
        "accuracy": {k: _num(v) if isinstance(v, float) else v for k, v in accuracy.items()},
        "certainty": accuracy["certainty"],
        "backtest_origins": [_day(fold.start) for fold in sel.folds[sel.best]],
        "seasonal_models": sel.seasonal,
        "candidates": candidates,
        "backtest": backtest,
        "notes": sel.notes,
    }


def _was_filled(filled: pd.DataFrame, metric: str, month: pd.Timestamp) -> bool:
    """A month counts as filled for a metric when any raw column it is computed from was filled."""
    if month not in filled.index:
        return False
    inputs = [c for c in METRIC_INPUTS[metric] if c in filled.columns]
    return bool(filled.loc[month, inputs].any()) if inputs else False


def headline_kpis(values: pd.DataFrame, health: dict[str, Any]) -> dict[str, float | None]:
    """The replaced system's `kpis`: trailing-12-month totals and latest-month positions."""
    last12 = values.tail(12)
    prior12 = values.iloc[-24:-12] if len(values) >= 24 else None

    def col(name: str) -> pd.Series:
        return values[name] if name in values else pd.Series(np.nan, index=values.index)

    revenue_12 = float(last12["revenue"].sum())
    profit_12 = float(last12["profit"].sum()) if "profit" in values else math.nan
    growth = (
        (revenue_12 / float(prior12["revenue"].sum()) - 1) * 100
        if prior12 is not None
        else float(col("growth_rate").iloc[-1])
    )
    smapes = [
        h["backtest_smape"]
        for h in health.values()
        if h.get("backtest_smape") is not None and h["unit"] == "currency"
    ]
    accuracy = max(0.0, 100 - float(np.median(smapes))) if smapes else math.nan
    return {
        "total_revenue": _num(revenue_12),
        "total_expenses": _num(last12["expenses"].sum() if "expenses" in values else math.nan),
        "profit_margin": _num(profit_12 / revenue_12 * 100 if revenue_12 else math.nan),
        "cashflow": _num(last12["cashflow"].sum() if "cashflow" in values else math.nan),
        "growth_rate": _num(growth),
        **{
            name: _num(col(name).iloc[-1])
            for name in (
                "dso",
                "dpo",
                "cash_conversion_cycle",
                "working_capital",
                "debt_to_equity_ratio",
            )
        },
        "forecast_accuracy": _num(accuracy),
    }


def _cards(values: pd.DataFrame, chart: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    cards = {}
    for metric in values.columns:
        series = values[metric].dropna()
        if series.empty:
            continue
        latest = float(series.iloc[-1])
        previous = float(series.iloc[-2]) if len(series) > 1 else math.nan
        nxt = chart.get(metric) or [{}]
        cards[metric] = {
            "label": METRIC_INFO[metric].label,
            "unit": METRIC_INFO[metric].unit,
            "formula": METRIC_INFO[metric].formula,
            "period": _day(series.index[-1]),
            "value": _num(latest),
            "previous": _num(previous),
            "change": _num(latest - previous),
            "next_forecast": nxt[0].get("predicted"),
        }
    return cards


def _timing(analysis: Analysis, comparison: dict[str, Any] | None) -> dict[str, Any]:
    results = analysis.results.values()
    origin = min((r.started for r in results if r.started), default=0.0)
    return {
        "executor": analysis.timing.executor,
        "workers": analysis.timing.workers,
        "cpu_count": analysis.timing.cpu_count,
        "wall_seconds": _num(analysis.timing.wall_seconds),
        "serial_seconds": _num(analysis.prepared.seconds),
        "per_metric": [
            {
                "metric": r.metric,
                "status": r.status,
                "start": _num(r.started - origin),
                "end": _num(r.finished - origin),
                "seconds": _num(r.seconds),
                "worker": r.worker,
                "family_seconds": {k: _num(v) for k, v in r.family_seconds.items()},
            }
            for r in sorted(results, key=lambda r: r.started)
        ],
        "comparison": comparison,
    }


def build_report(
    analysis: Analysis, mode: Mode, comparison: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole report as a JSON-safe dict; the narrative is the only part that depends on mode."""
    prep = analysis.prepared
    values, summary = prep.kpis.values, prep.data.summary
    chart: dict[str, list[dict[str, Any]]] = {}
    bands: dict[str, list[dict[str, Any]]] = {}
    health: dict[str, Any] = {}
    history: dict[str, list[dict[str, Any]]] = {}
    filled = prep.data.filled
    for metric in METRICS:
        result = analysis.results.get(metric)
        chart[metric], bands[metric] = _forecast_rows(result, prep.level) if result else ([], [])
        series = values[metric] if metric in values else pd.Series(dtype="float64")
        health[metric] = _health(metric, result, prep.kpis.skipped.get(metric), series)
        if metric in prep.kpis.notes:
            health[metric]["notes"] = [prep.kpis.notes[metric], *health[metric]["notes"]]
        history[metric] = [
            {
                "date": _day(d),
                "value": _num(v),
                "filled": _was_filled(filled, metric, pd.Timestamp(str(d))),
            }
            for d, v in series.items()
            if not pd.isna(v)
        ]
    core = {
        "metadata": {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_start_date": _day(values.index[0]),
            "data_end_date": _day(values.index[-1]),
            "months": len(values),
            "source_files": summary.source_files,
            "column_mapping": summary.column_mapping,
            "ignored_columns": summary.ignored_columns,
            "ingest_summary": summary.lines(),
            "warnings": summary.warnings,
            "horizon_months": prep.horizon,
            "interval_level": prep.level,
            "kpi_period": "last 12 months (totals) and latest month (positions)",
            "growth_rate_basis": "year_over_year" if len(values) >= 24 else "month_over_month",
            "future_months": summary.future_months,
            "version": __version__,
        },
        "kpis": headline_kpis(values, health),
        "kpi_cards": _cards(values, chart),
        "forecast_chart": chart,
        "forecast_bands": bands,
        "history": history,
        "model_health_report": health,
        "timing": _timing(analysis, comparison),
    }
    return {
        "full_analysis_report": {
            "dashboard_mode": mode,
            **core,
            "narratives": build_narratives(core, mode),
        }
    }


def with_mode(report: dict[str, Any], mode: Mode) -> dict[str, Any]:
    """The same report in another narrative mode: nothing is refitted, only the text changes."""
    body = dict(report["full_analysis_report"])
    body["dashboard_mode"] = mode
    body["narratives"] = build_narratives(body, mode)
    return {"full_analysis_report": body}


def with_comparison(report: dict[str, Any], comparison: dict[str, Any] | None) -> dict[str, Any]:
    """The same report with a sequential-vs-parallel comparison added to its timing."""
    if comparison is None:
        return report
    body = dict(report["full_analysis_report"])
    body["timing"] = {**body["timing"], "comparison": comparison}
    return {"full_analysis_report": body}


def dumps(report: dict[str, Any], indent: int | None = 2) -> str:
    """Strict JSON: raises rather than write NaN or Infinity."""
    return json.dumps(report, allow_nan=False, indent=indent, ensure_ascii=False)


def loads(text: str) -> dict[str, Any]:
    """Read a report back, checking it is one."""
    data = json.loads(text)
    if not isinstance(data, dict) or "full_analysis_report" not in data:
        raise ValueError("not a forecast report: no 'full_analysis_report' key")
    return data


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Escape text that a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def forecasts_csv(report: dict[str, Any]) -> str:
    """Long format: metric, date, predicted, lower, upper, model."""
    body = report["full_analysis_report"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "date", "predicted", "lower", "upper", "model"])
    for metric, rows in body["forecast_chart"].items():
        model = body["model_health_report"][metric].get("best_model_selected") or ""
        for row in rows:
            writer.writerow(
                [
                    _cell(metric),
                    row["date"],
                    *("" if row[k] is None else row[k] for k in ("predicted", "lower", "upper")),
                    _cell(model),
                ]
            )
    return out.getvalue()
