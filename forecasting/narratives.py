"""Narratives written from the report's numbers by rules, in two modes.

``finance_guardian`` leads with risks and controls (alerts ranked by severity, each with the
number that triggered it); ``financial_storyteller`` leads with the growth story for stakeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from .formatting import count, format_move, format_value, money, next_months
from .report_types import ForecastRow, FullReport, NarrativeAlert, Narratives, Severity

__all__ = ["Alert", "Outlook", "build_narratives", "find_alerts", "format_value", "outlook"]

# What an alert's number is, so that it is never shown without its unit.
TriggerUnit = Literal["currency", "percent", "change", "ratio", "mase", "months"]
_RANK: Final = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Alert:
    severity: Severity
    metric: str
    title: str
    detail: str
    value: float | None
    unit: TriggerUnit | None = None
    value_text: str | None = None  # the value with its unit, as the page shows it

    def to_dict(self) -> NarrativeAlert:
        return {
            "severity": self.severity,
            "metric": self.metric,
            "title": self.title,
            "detail": self.detail,
            "value": self.value,
            "unit": self.unit,
            "value_text": self.value_text,
        }


def _trigger(value: float, unit: TriggerUnit) -> str:
    """The number that set an alert off, with its unit ("change" alerts carry their own text)."""
    if unit == "currency":
        return money(value)
    if unit == "percent":
        return f"{value:.0f}%"
    if unit == "ratio":
        return f"{value:.2f}x"
    if unit == "mase":
        return f"MASE {value:.2f}"
    if unit == "months":
        return count(int(value), "month")
    return f"{value:+.1f}"


def _path(body: FullReport, metric: str) -> tuple[list[float], list[ForecastRow]]:
    history = [p["value"] for p in body["history"].get(metric, []) if p["value"] is not None]
    return history, body["forecast_chart"].get(metric, [])


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Outlook:
    """Where a metric is expected to go: the forecast months' average against the same months a
    year earlier where the history allows (a seasonal dip after a December peak is not a move),
    else against the latest months."""

    metric: str
    label: str
    unit: str
    now: float
    ahead: float
    months: int
    basis: str  # "the same months last year" or "the last 3 months"

    @property
    def move(self) -> float:
        """Percent for money, points for percentages, days for days, a difference for ratios."""
        if self.unit == "currency":
            return (self.ahead / abs(self.now) - 1) * 100 if self.now else 0.0
        return self.ahead - self.now

    @property
    def move_text(self) -> str:
        return format_move(self.now, self.ahead, self.unit)


def outlook(body: FullReport, metric: str) -> Outlook | None:
    """The expected change of ``metric`` over the horizon, or None when it was not forecast."""
    history, forecast = _path(body, metric)
    ahead = _mean([p["predicted"] for p in forecast if p["predicted"] is not None])
    if not history or ahead is None:
        return None
    months = len(forecast)
    n = len(history)
    if n >= 12 + months:
        now, basis = _mean(history[n - 12 : n - 12 + months]), "the same months last year"
    else:
        now, basis = _mean(history[-months:]), f"the last {count(months, 'month')}"
    if now is None:
        return None
    health = body["model_health_report"][metric]
    return Outlook(metric, health["label"], health["unit"], now, ahead, months, basis)


# metric, the move that matters (percent for money, points, days), severity when it worsens
_CHANGE_RULES: Final[tuple[tuple[str, float, Severity], ...]] = (
    ("revenue", 5.0, "high"),
    ("profit_margin", 2.0, "high"),
    ("dso", 5.0, "medium"),
    ("dpo", 5.0, "low"),
    ("cash_conversion_cycle", 7.0, "medium"),
    ("expense_ratio", 2.0, "medium"),
)
_FALLING_IS_WORSE: Final = frozenset({"revenue", "profit_margin", "dpo"})


def _change_alerts(body: FullReport) -> list[Alert]:
    out = []
    for metric, threshold, severity in _CHANGE_RULES:
        seen = outlook(body, metric)
        if seen is None:
            continue
        move = seen.move
        worse = move < -threshold if metric in _FALLING_IS_WORSE else move > threshold
        if worse:
            out.append(
                Alert(
                    severity,
                    metric,
                    f"{seen.label} is forecast to worsen",
                    f"{seen.label} moves {seen.move_text} over {next_months(seen.months)} "
                    f"against {seen.basis}: {format_value(seen.now, seen.unit)} then, "
                    f"{format_value(seen.ahead, seen.unit)} forecast.",
                    round(move, 2),
                    "change",
                    seen.move_text,
                )
            )
    return out


def _cash_alerts(body: FullReport) -> list[Alert]:
    _, cash = _path(body, "cashflow")
    negative = [p["predicted"] for p in cash if p["predicted"] is not None and p["predicted"] < 0]
    if negative:
        low = min(negative)
        return [
            Alert(
                "high",
                "cashflow",
                "Negative operating cash flow forecast",
                f"Operating cash flow is forecast below zero in {count(len(negative), 'month')}, "
                f"lowest {money(low)}.",
                low,
                "currency",
                money(low),
            )
        ]
    lowers = [p["lower"] for p in cash if p["lower"] is not None]
    if lowers and min(lowers) < 0:
        low = min(lowers)
        return [
            Alert(
                "medium",
                "cashflow",
                "Cash flow could turn negative",
                f"The lower bound of the cash flow forecast reaches {money(low)}.",
                low,
                "currency",
                money(low),
            )
        ]
    return []


def _leverage_alerts(body: FullReport) -> list[Alert]:
    de = body["kpis"].get("debt_to_equity_ratio")
    if de is None or 0 <= de <= 1.5:
        return []
    high = de > 2 or de < 0
    return [
        Alert(
            "high" if high else "medium",
            "debt_to_equity_ratio",
            "Leverage is high" if high else "Leverage is elevated",
            f"Debt to equity stands at {de:.2f}x "
            + ("(above 2x, or negative equity)." if high else "(above 1.5x)."),
            de,
            "ratio",
            _trigger(de, "ratio"),
        )
    ]


def _band_alerts(body: FullReport) -> list[Alert]:
    _, revenue = _path(body, "revenue")
    if not revenue:
        return []
    last = revenue[-1]
    point, lower, upper = last["predicted"], last["lower"], last["upper"]
    if not point or lower is None or upper is None:  # a band that could not be written
        return []
    width = (upper - lower) / abs(point) * 100
    if width <= 30:
        return []
    return [
        Alert(
            "medium",
            "revenue",
            "Revenue forecast is uncertain",
            f"The {body['metadata']['interval_level']}% band spans {width:.0f}% "
            "of the forecast at the end of the horizon.",
            round(width, 1),
            "percent",
            _trigger(width, "percent"),
        )
    ]


def _level_alerts(body: FullReport) -> list[Alert]:
    return _cash_alerts(body) + _leverage_alerts(body) + _band_alerts(body)


def _quality_alerts(body: FullReport) -> list[Alert]:
    out = []
    for metric, health in body["model_health_report"].items():
        if health["status"] == "failed":
            out.append(
                Alert(
                    "medium",
                    metric,
                    f"{health['label']} could not be forecast",
                    health["reason"],
                    None,
                )
            )
        elif health["status"] == "ok" and (mase := health.get("backtest_mase") or 0) > 1.5:
            out.append(
                Alert(
                    "low",
                    metric,
                    f"{health['label']} is hard to forecast",
                    f"Backtest MASE {mase:.2f}: the best model misses "
                    "by more than a naive forecast usually would.",
                    mase,
                    "mase",
                    _trigger(mase, "mase"),
                )
            )
    future = int(body["metadata"].get("future_months") or 0)
    data_alerts = body["metadata"].get("data_alerts") or []
    for alert in data_alerts:
        out.append(Alert(alert["severity"], alert["metric"], alert["title"], alert["detail"], None))
    covered = {a["detail"] for a in data_alerts}
    for warning in body["metadata"]["warnings"]:
        if warning in covered:
            continue
        # Data dated after today means a wrong date column or a planning file: every figure,
        # the trailing-12-month totals included, describes months that have not happened.
        high = future > 0 and "in the future" in warning
        out.append(
            Alert(
                "high" if high else "low",
                "data",
                "Data runs into the future" if high else "Data quality",
                warning,
                float(future) if high else None,
                "months" if high else None,
                _trigger(future, "months") if high else None,
            )
        )
    return out


def find_alerts(body: FullReport) -> list[Alert]:
    """Every rule that fires, most severe first."""
    alerts = _change_alerts(body) + _level_alerts(body) + _quality_alerts(body)
    return sorted(alerts, key=lambda a: _RANK[a.severity])


_CONTROLS: Final = {
    "dso": "Tighten collections: review overdue invoices weekly and the credit terms of the "
    "slowest payers.",
    "cash_conversion_cycle": "Shorten the cash cycle: collections first, then supplier terms.",
    "cashflow": "Secure liquidity: check the undrawn credit line covers the low point of the "
    "cash forecast.",
    "profit_margin": "Review pricing and the cost lines that grew faster than revenue.",
    "expense_ratio": "Freeze discretionary spend until the expense ratio is back on plan.",
    "revenue": "Re-forecast the pipeline with sales and stress-test the budget at the lower band.",
    "debt_to_equity_ratio": "Review covenants and plan to reduce leverage.",
    "dpo": "Check supplier terms: paying faster than before absorbs cash.",
}


def _story(body: FullReport) -> tuple[str, list[str]]:
    kpis, meta = body["kpis"], body["metadata"]
    horizon = int(meta["horizon_months"])
    history, revenue = _path(body, "revenue")
    predicted = [p["predicted"] for p in revenue]
    known = [p for p in predicted if p is not None]
    ahead = sum(known) if predicted and len(known) == len(predicted) else None
    n = len(history)
    year_ago = sum(history[n - 12 : n - 12 + horizon] or [0]) if n >= 12 else None
    yoy = kpis.get("revenue_growth_yoy")
    growth, basis = (
        (yoy, "year over year") if yoy is not None else (kpis["growth_rate"], "month over month")
    )
    period = f"in the 12 months to {meta['data_end_date'][:7]}"
    headline = (
        f"Revenue reached {format_value(kpis['total_revenue'], 'currency')} {period} "
        f"({growth:+.1f}% {basis})"
        if growth is not None
        else f"Revenue reached {format_value(kpis['total_revenue'], 'currency')} {period}"
    )
    if ahead is not None and year_ago:
        headline += (
            f", and {next_months(horizon)} {'is' if horizon == 1 else 'are'} forecast at "
            f"{format_value(ahead, 'currency')}, {(ahead / year_ago - 1) * 100:+.1f}% on "
            "the same months last year."
        )
    else:
        headline += "."
    points = []
    margin_12m = kpis.get("profit_margin_12m", kpis.get("profit_margin"))
    if margin_12m is not None:
        points.append(f"Profit margin over the last 12 months: {margin_12m:.1f}%.")
    if kpis.get("profit_margin") is not None and "profit_margin_12m" in kpis:
        points.append(f"Profit margin in the latest month: {kpis['profit_margin']:.1f}%.")
    if kpis.get("cashflow") is not None:
        points.append(
            f"Operations generated {format_value(kpis['cashflow'], 'currency')} of cash "
            "in the last 12 months."
        )
    if kpis.get("forecast_accuracy") is not None:
        points.append(
            f"The forecasts were checked on past data first: {kpis['forecast_accuracy']:.0f}% "
            "accuracy (100 − median sMAPE) on the money metrics."
        )
    return headline, points


def _guardian_summary(alerts: list[Alert], headline: str) -> str:
    """Counts that match the boxes the page draws: risks (high and medium) and notes (low)."""
    risky = [a for a in alerts if a.severity != "low"]
    notes = len(alerts) - len(risky)
    worth = f"{count(notes, 'note')} {'is' if notes == 1 else 'are'} worth a look"
    if not risky:
        return (
            "No risk thresholds are crossed in the forecast horizon"
            + (f"; {worth}" if notes else "")
            + ". "
            + headline
        )
    need = "needs" if len(risky) == 1 else "need"
    return (
        f"{count(len(risky), 'risk')} {need} attention"
        + (f" and {worth}" if notes else "")
        + f". The most severe: {risky[0].title.lower()} — {risky[0].detail}"
    )


def build_narratives(body: FullReport, mode: str) -> Narratives:
    """summary_text, analyst_insights, recommendations and the ranked alerts for ``mode``."""
    alerts = find_alerts(body)
    headline, story = _story(body)
    risky = [a for a in alerts if a.severity != "low"]
    controls = list(dict.fromkeys(_CONTROLS[a.metric] for a in risky if a.metric in _CONTROLS))
    if mode == "finance_guardian":
        summary = _guardian_summary(alerts, headline)
        insights = [f"[{a.severity.upper()}] {a.title}: {a.detail}" for a in alerts] + story
        recommendations = controls or ["Keep the monthly close cadence; re-run after each close."]
    else:
        summary = headline
        insights = story + [f"Watch: {a.title.lower()} — {a.detail}" for a in risky[:3]]
        recommendations = ["Share the revenue forecast with its band, not just the point."] + [
            c for c in controls[:2]
        ]
    return {
        "summary_text": summary,
        "analyst_insights": insights,
        "recommendations": recommendations,
        "alerts": [a.to_dict() for a in alerts],
    }
