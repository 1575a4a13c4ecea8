"""The report's shape, in one place: what ``build_report`` returns, what the page reads and what
the JSON download holds. mypy checks the engine and the page against these definitions.

The top level and the timing section are typed key by key; the rows inside them (forecast
months, model health entries, alerts, timelines) are JSON objects whose keys the README lists.
"""


from typing import Any, NotRequired, TypedDict

from .settings import Mode

__all__ = ["FullReport", "Report", "Rows", "Timing"]

Rows = list[dict[str, Any]]


class Timing(TypedDict):
    """How this report's run went, and any sequential-vs-parallel comparison added to it."""

    executor: str
    workers: int
    cpu_count: int
    wall_seconds: float | None
    serial_seconds: float | None
    per_metric: Rows  # one row per metric job: start, end, seconds, tasks, worker, host, ...
    tasks: Rows  # one row per executed task: key, metric, worker, start, end, cpu_s
    comparison: dict[str, Any] | None  # ``bench.compare``'s result, when one was measured
    entity_jobs: NotRequired[Rows]  # per-entity jobs, when entities were asked for


class FullReport(TypedDict):
    """``full_analysis_report``: the replaced system's sections plus this engine's."""

    dashboard_mode: Mode | None  # None until ``with_view`` writes the narratives
    metadata: dict[str, Any]
    kpis: dict[str, float | None]
    kpi_cards: dict[str, dict[str, Any]]
    forecast_chart: dict[str, Rows]  # per metric: date, predicted, lower, upper
    forecast_bands: dict[str, Rows]  # per metric: date, lower_80, upper_80, lower_95, upper_95
    history: dict[str, Rows]  # per metric: date, value, filled
    model_health_report: dict[str, dict[str, Any]]
    timing: Timing
    narratives: dict[str, Any] | None
    entity_forecasts: NotRequired[dict[str, Any]]


class Report(TypedDict):
    full_analysis_report: FullReport
