"""Narratives written from the report's numbers by rules, in two modes.

``finance_guardian`` leads with risks and controls (alerts ranked by severity, each with the
number that triggered it); ``financial_storyteller`` leads with the growth story for stakeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = ["Alert", "build_narratives", "find_alerts", "format_value"]

Severity = Literal["high", "medium", "low"]
_RANK: Final = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Alert:
    severity: Severity
    metric: str
    title: str
    detail: str
    value: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "metric": self.metric,
            "title": self.title,
            "detail": self.detail,
            "value": self.value,
        }


def format_value(value: float | None, unit: str) -> str:
    """$1.2M, 34.5%, 41 days, 1.05x — how the finance team reads each unit."""
    if value is None:
        return "n/a"
    # Round first so that -0.3 days reads "0 days", never "-0 days".
    value = round(value, {"percent": 1, "days": 0, "ratio": 2}.get(unit, 0)) + 0.0
    if unit == "currency":
        sign = "-" if value < 0 else ""
        size = abs(value)
        if size >= 1e9:
            return f"{sign}${size / 1e9:.2f}B"
        if size >= 1e6:
            return f"{sign}${size / 1e6:.2f}M"
        if size >= 1e4:
            return f"{sign}${size / 1e3:.0f}K"
        return f"{sign}${size:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "days":
        return f"{value:.0f} days"
    return f"{value:.2f}x"


def _path(body: dict[str, Any], metric: str) -> tuple[list[float], list[dict[str, Any]]]:
    history = [p["value"] for p in body["history"].get(metric, []) if p["value"] is not None]
    return history, body["forecast_chart"].get(metric, [])


def _recent(history: list[float], months: int) -> float | None:
    tail = history[-months:]
    return sum(tail) / len(tail) if tail else None


def _change_alerts(body: dict[str, Any], horizon: int) -> list[Alert]:
    out = []
    # metric, threshold of the move that matters, severity when it moves the wrong way
    rules: tuple[tuple[str, float, Severity], ...] = (
        ("revenue", 5.0, "high"),
        ("profit_margin", 2.0, "high"),
        ("dso", 5.0, "medium"),
        ("dpo", 5.0, "low"),
        ("cash_conversion_cycle", 7.0, "medium"),
        ("expense_ratio", 2.0, "medium"),
    )
    for metric, threshold, severity in rules:
        history, forecast = _path(body, metric)
        if not history or not forecast:
            continue
        health = body["model_health_report"][metric]
        # Against the same months a year earlier where the history allows: a seasonal dip after
        # a December peak is not a risk.
        base = history[-12 : len(history) - 12 + horizon] if len(history) >= 12 + horizon else []
        now = _recent(base, horizon) if base else _recent(history, horizon)
        ahead = sum(p["predicted"] for p in forecast) / len(forecast)
        when = "the same months last year" if base else f"the last {horizon} month(s)"
        if now is None:
            continue
        move = (ahead / now - 1) * 100 if health["unit"] == "currency" and now else ahead - now
        unit = (
            "%"
            if health["unit"] == "currency"
            else (" pts" if health["unit"] == "percent" else " days")
        )
        worse = (
            move < -threshold if metric in ("revenue", "profit_margin", "dpo") else move > threshold
        )
        if worse:
            out.append(
                Alert(
                    severity,
                    metric,
                    f"{health['label']} is forecast to worsen",
                    f"{health['label']} moves {move:+.1f}{unit} over the next {horizon} "
                    f"month(s) against {when}: {format_value(now, health['unit'])} then, "
                    f"{format_value(ahead, health['unit'])} forecast.",
                    round(move, 2),
                )
            )
    return out


def _level_alerts(body: dict[str, Any]) -> list[Alert]:
    out = []
    _, cash = _path(body, "cashflow")
    negative = [p for p in cash if p["predicted"] is not None and p["predicted"] < 0]
    if negative:
        out.append(
            Alert(
                "high",
                "cashflow",
                "Negative operating cash flow forecast",
                f"Operating cash flow is forecast below zero in {len(negative)} month(s), "
                f"lowest {format_value(min(p['predicted'] for p in negative), 'currency')}.",
                min(p["predicted"] for p in negative),
            )
        )
    elif any(p["lower"] is not None and p["lower"] < 0 for p in cash):
        low = min(p["lower"] for p in cash)
        out.append(
            Alert(
                "medium",
                "cashflow",
                "Cash flow could turn negative",
                f"The lower bound of the cash flow forecast reaches "
                f"{format_value(low, 'currency')}.",
                low,
            )
        )
    de = body["kpis"].get("debt_to_equity_ratio")
    if de is not None and (de > 2 or de < 0):
        out.append(
            Alert(
                "high",
                "debt_to_equity_ratio",
                "Leverage is high",
                f"Debt to equity stands at {de:.2f}x (above 2x, or negative equity).",
                de,
            )
        )
    elif de is not None and de > 1.5:
        out.append(
            Alert(
                "medium",
                "debt_to_equity_ratio",
                "Leverage is elevated",
                f"Debt to equity stands at {de:.2f}x (above 1.5x).",
                de,
            )
        )
    _, revenue = _path(body, "revenue")
    if revenue and revenue[-1]["predicted"]:
        last = revenue[-1]
        width = (last["upper"] - last["lower"]) / abs(last["predicted"]) * 100
        if width > 30:
            out.append(
                Alert(
                    "medium",
                    "revenue",
                    "Revenue forecast is uncertain",
                    f"The {body['metadata']['interval_level']}% band spans {width:.0f}% "
                    "of the forecast at the end of the horizon.",
                    round(width, 1),
                )
            )
    return out


def _quality_alerts(body: dict[str, Any]) -> list[Alert]:
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
        elif health["status"] == "ok" and (health.get("backtest_mase") or 0) > 1.5:
            out.append(
                Alert(
                    "low",
                    metric,
                    f"{health['label']} is hard to forecast",
                    f"Backtest MASE {health['backtest_mase']:.2f}: the best model misses "
                    "by more than a naive forecast usually would.",
                    health["backtest_mase"],
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
            )
        )
    return out


def find_alerts(body: dict[str, Any]) -> list[Alert]:
    """Every rule that fires, most severe first."""
    horizon = int(body["metadata"]["horizon_months"])
    alerts = _change_alerts(body, horizon) + _level_alerts(body) + _quality_alerts(body)
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


def _story(body: dict[str, Any]) -> tuple[str, list[str]]:
    kpis, meta = body["kpis"], body["metadata"]
    horizon = int(meta["horizon_months"])
    history, revenue = _path(body, "revenue")
    ahead = sum(p["predicted"] for p in revenue) if revenue else None
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
            f", and the next {horizon} month(s) are forecast at "
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


def build_narratives(body: dict[str, Any], mode: str) -> dict[str, Any]:
    """summary_text, analyst_insights, recommendations and the ranked alerts for ``mode``."""
    alerts = find_alerts(body)
    headline, story = _story(body)
    risky = [a for a in alerts if a.severity != "low"]
    controls = list(dict.fromkeys(_CONTROLS[a.metric] for a in risky if a.metric in _CONTROLS))
    if mode == "finance_guardian":
        if risky:
            summary = (
                f"{len(risky)} risk(s) need attention; the most severe: {risky[0].title.lower()}"
                f" — {risky[0].detail}"
            )
        else:
            summary = "No risk thresholds are crossed in the forecast horizon. " + headline
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
