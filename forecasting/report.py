"""Analysis -> the report dict (``full_analysis_report``), strict JSON, and the forecasts CSV."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from datetime import UTC, datetime
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from . import __version__
from .certainty import accuracy_entry, fold_months
from .checks import plausibility_alerts
from .headline import headline_kpis, kpi_cards, kpi_definitions
from .horizon import max_supported_horizon
from .jsonvalues import day as _day
from .jsonvalues import number as _num
from .kpis import METRIC_INFO, METRIC_INPUTS
from .models import FAMILY_LABELS
from .narratives import build_narratives
from .outliers import find_one_offs
from .pipeline import Analysis
from .report_types import Alert as AlertRow
from .report_types import (
    BacktestFold,
    BacktestPoint,
    BandRow,
    Candidate,
    Comparison,
    EntityEntry,
    ForecastRow,
    FullReport,
    Health,
    HistoryRow,
    JobRow,
    Metadata,
    Report,
    SweepRow,
    Timing,
    band_at,
)
from .runner import MetricResult, task_timeline
from .selection import Selection, interpolated_series
from .settings import METRICS, Mode

__all__ = [
    "build_report",
    "dumps",
    "forecasts_csv",
    "formula_safe",
    "headline_kpis",
    "loads",
    "with_comparison",
    "with_entity_forecasts",
    "with_level",
    "with_mode",
    "with_view",
]

def _forecast_rows(result: MetricResult, level: int) -> tuple[list[ForecastRow], list[BandRow]]:
    if result.selection is None:
        return [], []
    sel = result.selection
    chart: list[ForecastRow] = []
    bands: list[BandRow] = []
    (lower_80, upper_80), (lower_95, upper_95) = sel.forecast.bands[80], sel.forecast.bands[95]
    lower, upper = sel.forecast.bands[level]
    for i, date in enumerate(sel.dates):
        day = _day(date)
        chart.append(
            {
                "date": day,
                "predicted": _num(sel.forecast.mean[i]),
                "lower": _num(lower[i]),
                "upper": _num(upper[i]),
            }
        )
        bands.append(
            {
                "date": day,
                "lower_80": _num(lower_80[i]),
                "upper_80": _num(upper_80[i]),
                "lower_95": _num(lower_95[i]),
                "upper_95": _num(upper_95[i]),
            }
        )
    return chart, bands


def _health(
    metric: str, result: MetricResult | None, skipped: str | None, history: pd.Series
) -> Health:
    """A metric's model health: its shipped model, how it scored, every candidate, every fold."""
    info = METRIC_INFO[metric]
    if result is None or result.selection is None:
        return {
            "label": info.label,
            "unit": info.unit,
            "formula": info.formula,
            "best_model_selected": None,
            "status": "skipped" if result is None else "failed",
            "reason": (skipped or "not computed") if result is None else result.reason,
            "candidates": [],
            "backtest": [],
            "notes": [],
        }
    sel = result.selection
    best = next(s for s in sel.scores if s.family == sel.best)
    accuracy = accuracy_entry(sel, history, info.unit)
    single = next((s for s in sel.scores if s.family == sel.best_single), None)
    return {
        "label": info.label,
        "unit": info.unit,
        "formula": info.formula,
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
        "accuracy": accuracy,
        "certainty": accuracy["certainty"],
        "backtest_origins": [_day(fold.start) for fold in sel.folds[sel.best]],
        "seasonal_models": sel.seasonal,
        "candidates": _candidates(sel),
        "backtest": _backtest_rows(sel, history),
        "notes": sel.notes,
    }


def _candidates(sel: Selection) -> list[Candidate]:
    """Every family the metric fitted, best backtest MASE first (unscored ones last)."""
    return [
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


def _backtest_rows(sel: Selection, history: pd.Series) -> list[BacktestFold]:
    """Each family's backtest folds: per month, the actual beside the prediction and its band."""
    rows: list[BacktestFold] = []
    actual = dict(zip(pd.DatetimeIndex(history.index), history.to_numpy(), strict=True))
    for family, folds in sel.folds.items():
        for fold in folds:
            dates = _months_from(pd.Timestamp(fold.start), len(fold.predicted))
            points: list[BacktestPoint] = [
                {
                    "date": day,
                    "actual": _num(actual.get(d)),
                    "predicted": _num(fold.predicted[i]),
                    "lower": _num(fold.lower[i]),
                    "upper": _num(fold.upper[i]),
                }
                for i, (d, day) in enumerate(dates)
            ]
            rows.append({"family": family, "start": _day(fold.start), "points": points})
    return rows


def _months_from(start: pd.Timestamp, months: int) -> tuple[tuple[pd.Timestamp, str], ...]:
    """A fold's month starts with their report dates."""
    return tuple((d, _day(d)) for d in fold_months(start, months))


def _history_rows(series: pd.Series, filled: pd.DataFrame, metric: str) -> list[HistoryRow]:
    """The metric's months; a month counts as filled when any raw column it is computed from
    was filled. (Whole columns at once: a lookup per month cost half a second a report.)"""
    inputs = [c for c in METRIC_INPUTS[metric] if c in filled.columns]
    flags: list[bool] = [False] * len(filled)
    if inputs:
        flags = np.asarray(filled[inputs].to_numpy(dtype=bool).any(axis=1)).tolist()
    was = dict(zip(pd.DatetimeIndex(filled.index), flags, strict=True))
    index = pd.DatetimeIndex(series.index)
    values = series.to_numpy(dtype="float64")
    return [
        {"date": day, "value": _num(v), "filled": bool(was.get(d, False))}
        for d, day, v in zip(index, index.strftime("%Y-%m-%d"), values, strict=True)
        if not math.isnan(v)
    ]


def _job_row(r: MetricResult, origin: float) -> JobRow:
    return {
        "metric": r.metric,
        "status": r.status,
        "start": _num(r.first_started - origin),
        "end": _num(r.finished - origin),
        "seconds": _num(r.seconds),
        "tasks": len(r.tasks),
        "worker": r.worker,
        "host": r.host,
        "family_seconds": {k: _num(v) for k, v in r.family_seconds.items()},
    }


def _timing(analysis: Analysis, comparison: Comparison | None) -> Timing:
    results = analysis.results.values()
    entity_results = [r for e in analysis.entity_results.values() for r in e.values()]
    everything = [*results, *entity_results]
    origin = min((r.first_started for r in everything if r.started), default=0.0)
    timing: Timing = {
        "executor": analysis.timing.executor,
        "workers": analysis.timing.workers,
        "cpu_count": analysis.timing.cpu_count,
        "wall_seconds": _num(analysis.timing.wall_seconds),
        "serial_seconds": _num(analysis.prepared.seconds),
        "per_metric": [
            _job_row(r, origin) for r in sorted(results, key=lambda r: r.first_started)
        ],
        # Every task the run executed (fit pieces and combinations), one lane per worker.
        "tasks": task_timeline(everything, origin),
        "comparison": comparison,
    }
    if analysis.prepared.entities is not None:
        timing["entity_jobs"] = [
            {"entity": r.entity, **_job_row(r, origin)}
            for r in sorted(entity_results, key=lambda r: r.first_started)
        ]
    return timing


def _alerts(analysis: Analysis) -> list[AlertRow]:
    """Data alerts: ingest's (per-transaction balances) and the KPIs' plausibility, one each."""
    prep = analysis.prepared
    alerts = [*prep.data.summary.alerts, *plausibility_alerts(prep.data.monthly, prep.kpis),
              *_one_off_alerts(analysis)]
    unique: dict[str, AlertRow] = {}
    for alert in alerts:
        unique.setdefault(alert["detail"], alert)
    return list(unique.values())


def _one_off_alerts(analysis: Analysis) -> list[AlertRow]:
    """A month each forecast metric's models were fitted without (``outliers``), as an alert:
    the history keeps it, the forecast does not repeat it. growth_rate shares revenue's."""
    out: list[AlertRow] = []
    for metric, result in analysis.results.items():
        if metric == "growth_rate" or result.selection is None:
            continue
        series, _ = interpolated_series(analysis.prepared.kpis.values[metric])
        for one in find_one_offs(series):
            label = METRIC_INFO[metric].label
            out.append({"severity": "low", "metric": metric,
                        "title": f"{label}: {one.month:%b %Y} treated as a one-off",
                        "detail": f"{label}: {one.note()}"})
    return out


def _metadata(analysis: Analysis) -> Metadata:
    prep = analysis.prepared
    values, summary = prep.kpis.values, prep.data.summary
    alerts = _alerts(analysis)
    warnings = list(dict.fromkeys([*summary.warnings, *(a["detail"] for a in alerts)]))
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_start_date": _day(values.index[0]),
        "data_end_date": _day(values.index[-1]),
        "months": len(values),
        "source_files": summary.source_files,
        "column_mapping": summary.column_mapping,
        "ignored_columns": summary.ignored_columns,
        "mapping_decisions": [d.to_dict() for d in summary.mapping_decisions],
        "unused_amount_columns": summary.doubts,
        "date_order": summary.date_orders,
        "encodings": summary.encodings,
        "unread_rows": {
            name: [{"reason": why, "lines": list(lines)} for why, lines in parts]
            for name, parts in summary.unread_rows.items()
        },
        "entity_columns": summary.entity_columns,
        "balance_basis": summary.balance_basis,
        "ingest_summary": summary.lines(),
        "warnings": warnings,
        "data_alerts": alerts,
        "horizon_months": prep.horizon,
        "max_horizon_months": max_supported_horizon(len(values)),
        "interval_level": prep.level,
        "kpi_period": "last 12 months (totals, profit_margin_12m, revenue_growth_yoy) and "
        "latest month (positions, profit_margin, growth_rate)",
        "kpi_definitions": kpi_definitions(prep.kpis),
        "metric_definitions": {m: prep.kpis.formula(m) for m in METRICS},
        "growth_rate_basis": "month_over_month",
        "future_months": summary.future_months,
        "version": __version__,
    }


def build_report(
    analysis: Analysis, mode: Mode | None, comparison: Comparison | None = None
) -> Report:
    """The whole report as a JSON-safe dict; the narrative is the only part that depends on mode.
    ``mode`` None leaves the narratives to ``with_view`` (the dashboard writes them once, for the
    mode and level it shows)."""
    prep = analysis.prepared
    values = prep.kpis.values
    chart: dict[str, list[ForecastRow]] = {}
    bands: dict[str, list[BandRow]] = {}
    health: dict[str, Health] = {}
    history: dict[str, list[HistoryRow]] = {}
    filled = prep.data.filled
    for metric in METRICS:
        result = analysis.results.get(metric)
        chart[metric], bands[metric] = _forecast_rows(result, prep.level) if result else ([], [])
        series = values[metric] if metric in values else pd.Series(dtype="float64")
        health[metric] = _health(metric, result, prep.kpis.skipped.get(metric), series)
        health[metric]["formula"] = prep.kpis.formula(metric)
        if metric in prep.kpis.notes:
            health[metric]["notes"] = [prep.kpis.notes[metric], *health[metric]["notes"]]
        history[metric] = _history_rows(series, filled, metric)
    body: FullReport = {
        "dashboard_mode": mode,
        "metadata": _metadata(analysis),
        "kpis": headline_kpis(values, health),
        "kpi_cards": kpi_cards(prep.kpis, chart),
        "forecast_chart": chart,
        "forecast_bands": bands,
        "history": history,
        "model_health_report": health,
        "timing": _timing(analysis, comparison),
        "narratives": None,
    }
    if prep.entities is not None:  # asked for: the company's part keeps its shape either way
        from .entity_report import entity_forecasts

        body["metadata"]["entity_forecasts_by"] = list(prep.entities.by)
        body["entity_forecasts"] = entity_forecasts(analysis)
    if mode is not None:
        body["narratives"] = build_narratives(body, mode)
    return {"full_analysis_report": body}


def with_mode(report: Report, mode: Mode) -> Report:
    """The same report in another narrative mode: nothing is refitted, only the text changes."""
    body = copy.copy(report["full_analysis_report"])
    body["dashboard_mode"] = mode
    body["narratives"] = build_narratives(body, mode)
    return {"full_analysis_report": body}


def _at_level(row: ForecastRow, band: BandRow, level: int) -> ForecastRow:
    lower, upper = band_at(band, level)
    return {**row, "lower": lower, "upper": upper}


def with_level(report: Report, level: int) -> Report:
    """The same report with its forecast rows at another interval level: both levels' bands are
    in ``forecast_bands``, so nothing is refitted. The narratives are left as they were (see
    ``with_view``, which rebuilds them once for the level and mode shown)."""
    body = copy.copy(report["full_analysis_report"])
    body["forecast_chart"] = {
        metric: [
            _at_level(row, band, level)
            for row, band in zip(rows, body["forecast_bands"][metric], strict=True)
        ]
        for metric, rows in body["forecast_chart"].items()
    }
    body["metadata"] = {**body["metadata"], "interval_level": level}
    return {"full_analysis_report": body}


def with_view(report: Report, mode: Mode, level: int) -> Report:
    """The report as shown for a narrative mode and an interval level, with its narratives
    written once for them; the report itself when it already is that view (a report built
    without a mode has no narratives yet, so it never is)."""
    body = report["full_analysis_report"]
    if body["dashboard_mode"] == mode and body["metadata"]["interval_level"] == level:
        return report
    return with_mode(with_level(report, level), mode)


def with_comparison(
    report: Report, comparison: Comparison | None, scaling: list[SweepRow] | None = None
) -> Report:
    """The same report with what was measured for its run added to its timing: a
    sequential-vs-parallel comparison, a scaling sweep."""
    if comparison is None and not scaling:
        return report
    body = copy.copy(report["full_analysis_report"])
    timing = copy.copy(body["timing"])
    if comparison is not None:
        timing["comparison"] = comparison
    if scaling:
        timing["scaling"] = scaling
    body["timing"] = timing
    return {"full_analysis_report": body}


def with_entity_forecasts(
    report: Report, by: list[str], section: dict[str, EntityEntry]
) -> Report:
    """The company report with an ``entity_forecasts`` section computed in a run of its own
    (the dashboard's, on demand)."""
    body = copy.copy(report["full_analysis_report"])
    body["metadata"] = {**body["metadata"], "entity_forecasts_by": by}
    body["entity_forecasts"] = section
    return {"full_analysis_report": body}


def dumps(report: Report, indent: int | None = 2) -> str:
    """Strict JSON: raises rather than write NaN or Infinity."""
    return json.dumps(report, allow_nan=False, indent=indent, ensure_ascii=False)


def loads(text: str) -> Report:
    """Read a report back, checking it is one (its top-level sections all there)."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("full_analysis_report"), dict):
        raise ValueError("not a forecast report: no 'full_analysis_report' key")
    missing = sorted(set(FullReport.__required_keys__) - set(data["full_analysis_report"]))
    if missing:
        raise ValueError(f"not a forecast report: no {', '.join(missing)} section")
    return cast(Report, data)


# What a spreadsheet may read as the start of a formula or a command (DDE "|", "%" macros).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def formula_safe(value: Any) -> Any:
    """Escape text that a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def forecasts_csv(report: Report) -> str:
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
                    formula_safe(metric),
                    row["date"],
                    *("" if row[k] is None else row[k] for k in ("predicted", "lower", "upper")),
                    formula_safe(model),
                ]
            )
    return out.getvalue()
