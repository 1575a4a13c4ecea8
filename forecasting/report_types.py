"""The report's shape, in one place: what ``build_report`` returns, what the page reads and what
the JSON download holds, down to each row. mypy checks the engine and the page against these
definitions; ``tests/test_report_types.py`` checks a real report's JSON against them key by key.

Numbers are ``float | None``: a value that is not finite is written as null (strict JSON).
"""

from typing import Literal, NotRequired, TypedDict

from .settings import Mode

__all__ = [
    "AccuracyEntry",
    "Alert",
    "BacktestFold",
    "BacktestPoint",
    "BandRow",
    "BenchResult",
    "Candidate",
    "ClaimedRow",
    "Comparison",
    "CpuFigures",
    "EntityEntry",
    "EntityJobRow",
    "ExpectedChange",
    "ForecastRow",
    "FullReport",
    "Health",
    "HistoryRow",
    "JobRow",
    "KpiCard",
    "MappingDecisionRow",
    "Metadata",
    "MetricSplit",
    "NarrativeAlert",
    "Narratives",
    "ProjectionRow",
    "Report",
    "Severity",
    "SpeedupFigures",
    "SweepRow",
    "TaskRow",
    "Timing",
    "UnreadLines",
    "band_at",
    "band_outline",
]

Severity = Literal["high", "medium", "low"]


class ForecastRow(TypedDict):
    """One forecast month at the report's interval level."""

    date: str
    predicted: float | None
    lower: float | None
    upper: float | None


class BandRow(TypedDict):
    """One forecast month's bands at both levels (a level switch reads them; nothing refits)."""

    date: str
    lower_80: float | None
    upper_80: float | None
    lower_95: float | None
    upper_95: float | None


def band_at(row: BandRow, level: int) -> tuple[float | None, float | None]:
    """A forecast month's lower and upper bound at ``level`` (80, else 95)."""
    if level == 80:
        return row["lower_80"], row["upper_80"]
    return row["lower_95"], row["upper_95"]


def band_outline(rows: list[BandRow], level: int) -> list[float | None]:
    """A band as one closed outline for a filled chart trace: the upper bounds month by month,
    then the lower ones back (its x is the dates, then the dates reversed)."""
    bounds = [band_at(row, level) for row in rows]
    return [upper for _, upper in bounds] + [lower for lower, _ in reversed(bounds)]


class HistoryRow(TypedDict):
    """One month of a metric's history; ``filled`` when an input of it was interpolated."""

    date: str
    value: float | None
    filled: bool


class Candidate(TypedDict):
    """A family the metric fitted, with its backtest scores."""

    model: str
    family: str
    family_label: str
    status: str
    reason: str
    mase: float | None
    smape: float | None
    rmse: float | None
    coverage: float | None
    seconds: float | None


class BacktestPoint(TypedDict):
    date: str
    actual: float | None
    predicted: float | None
    lower: float | None
    upper: float | None


class BacktestFold(TypedDict):
    """One family's forecast from one backtest origin, month by month beside the actuals."""

    family: str
    start: str
    points: list[BacktestPoint]


class AccuracyEntry(TypedDict):
    """The shipped forecast's backtest accuracy and band coverage, and how sure it is in words."""

    backtest_mase: float | None
    typical_error: float | None
    typical_error_text: str
    months_checked: int
    coverage_80: float | None
    coverage_95: float | None
    certainty: str
    definition: str


class Health(TypedDict):
    """``model_health_report[metric]``: the shipped model, how it scored, every candidate and
    fold. A skipped or failed metric has the keys up to ``notes`` only."""

    label: str
    unit: str
    formula: str
    best_model_selected: str | None
    status: Literal["ok", "skipped", "failed"]
    reason: str
    candidates: list[Candidate]
    backtest: NotRequired[list[BacktestFold]]  # left out of entity entries (size)
    notes: list[str]
    best_model_family: NotRequired[str]
    method: NotRequired[str]
    best_by_backtest: NotRequired[str | None]
    best_by_backtest_family: NotRequired[str | None]
    combination_weights: NotRequired[dict[str, float | None]]
    backtest_mase: NotRequired[float | None]
    backtest_smape: NotRequired[float | None]
    backtest_coverage: NotRequired[float | None]
    backtest_coverage_80: NotRequired[float | None]
    backtest_coverage_95: NotRequired[float | None]
    accuracy: NotRequired[AccuracyEntry]
    certainty: NotRequired[str]
    backtest_origins: NotRequired[list[str]]
    seasonal_models: NotRequired[bool]


class KpiCard(TypedDict):
    """A KPI card: latest month, change against the month before, the next forecast."""

    label: str
    unit: str
    formula: str
    period: str
    value: float | None
    previous: float | None
    change: float | None
    next_forecast: float | None
    not_meaningful: NotRequired[str]  # why the KPI is not shown (e.g. equity at or below zero)


class Alert(TypedDict):
    """A data alert from ingest or the KPIs' plausibility checks."""

    severity: Severity
    metric: str
    title: str
    detail: str


class NarrativeAlert(TypedDict):
    """An alert the narratives rank: a data alert or one the forecasts set off."""

    severity: Severity
    metric: str
    title: str
    detail: str
    value: float | None
    unit: str | None
    value_text: str | None


class Narratives(TypedDict):
    summary_text: str
    analyst_insights: list[str]
    recommendations: list[str]
    alerts: list[NarrativeAlert]


class MappingDecisionRow(TypedDict):
    """What one source column became (``target`` None: not used), how sure, and why."""

    source: str
    target: str | None
    confidence: str
    reason: str


class UnreadLines(TypedDict):
    """Lines of a file that could not be read, and why."""

    reason: str
    lines: list[int]


class Metadata(TypedDict):
    generated_at: str
    data_start_date: str
    data_end_date: str
    months: int
    source_files: list[str]
    column_mapping: dict[str, str]
    ignored_columns: dict[str, str]  # header -> why it was not used
    mapping_decisions: list[MappingDecisionRow]
    unused_amount_columns: dict[str, str]
    date_order: dict[str, str]
    encodings: dict[str, str]
    unread_rows: dict[str, list[UnreadLines]]
    entity_columns: list[str]
    balance_basis: dict[str, str]
    ingest_summary: list[str]
    warnings: list[str]
    data_alerts: list[Alert]
    horizon_months: int
    max_horizon_months: int
    interval_level: int
    kpi_period: str
    kpi_definitions: dict[str, str]
    metric_definitions: dict[str, str]
    growth_rate_basis: str
    future_months: int
    version: str
    entity_forecasts_by: NotRequired[list[str]]


class JobRow(TypedDict):
    """One metric's job in the run: when it started and ended (seconds from the run's first
    start), its tasks' seconds added up, the worker of its last task."""

    metric: str
    status: str
    start: float | None
    end: float | None
    seconds: float | None
    tasks: int
    worker: int
    host: str
    family_seconds: dict[str, float | None]


class EntityJobRow(JobRow):
    entity: str | None


class TaskRow(TypedDict):
    """One executed task (a fit piece or a combination), seconds from the run's first start."""

    key: str
    metric: str
    worker: int
    start: float
    end: float
    cpu_s: float
    group: str


class MetricSplit(TypedDict):
    """A metric's job in the sequential run: its seconds, tasks and where the time went."""

    seconds: float
    tasks: int
    families: dict[str, float]
    model_family: str | None


class ProjectionRow(TypedDict):
    """Projected wall time on ``workers``; ``measured`` when that count was also run."""

    workers: int
    wall_s: float
    speedup: float
    measured: bool
    measured_wall_s: float | None


class ClaimedRow(TypedDict):
    """The replaced system's claimed seconds on a number of cores, and the speedup they imply."""

    workers: int
    wall_s: float
    speedup: float


class SweepRow(TypedDict):
    sequential_s: float
    workers: int
    parallel_s: float
    speedup: float
    ideal: int
    cpus: float | None
    other_cpus: float | None


class SpeedupFigures(TypedDict):
    """Speedup, efficiency and the Amdahl bound from the measured serial part."""

    jobs: int
    workers: int
    cpu_count: int
    sequential_s: float
    parallel_s: float
    speedup: float
    efficiency: float
    tasks: int
    ideal_speedup: int
    end_to_end_speedup: float
    amdahl_bound: float
    serial_s: float
    serial_parts_s: dict[str, float]


class CpuFigures(TypedDict):
    """The CPU each side got, the load around the runs and the headline that reads them."""

    cpus_available: int
    sequential_cpu_s: float | None
    parallel_cpu_s: float | None
    sequential_caller_cpu_s: float  # the process handing out tasks, one run
    parallel_caller_cpu_s: float
    sequential_cpus: float | None
    parallel_cpus: float | None
    other_cpus: float | None
    load_before: float | None
    load_after: float | None
    verdict: str
    headline: str


class Comparison(SpeedupFigures, CpuFigures):
    """``bench.compare``'s result: the same jobs one after another and on the workers."""

    repeat: int
    sequential_runs_s: list[float]
    parallel_runs_s: list[float]
    pool_start_s: float
    pool_warm_s: float
    identical: bool
    sequential_workers: list[int]
    per_metric: dict[str, MetricSplit]
    task_seconds: dict[str, float]
    task_groups: dict[str, str]
    timeline: list[TaskRow]


class BenchResult(Comparison):
    """What ``bench`` prints: the comparison, the projection and any sweep."""

    projection: list[ProjectionRow]
    scaling: list[SweepRow] | None  # with --sweep: 1, 2, ... of the pool's workers


class Timing(TypedDict):
    """How this report's run went, and any sequential-vs-parallel comparison added to it."""

    executor: str
    workers: int
    cpu_count: int
    wall_seconds: float | None
    serial_seconds: float | None
    per_metric: list[JobRow]
    tasks: list[TaskRow]
    comparison: Comparison | None
    scaling: NotRequired[list[SweepRow]]  # a scaling sweep measured for the same run
    entity_jobs: NotRequired[list[EntityJobRow]]  # per-entity jobs, when entities were asked for


class ExpectedChange(TypedDict):
    """The forecast months' total against the same months a year earlier."""

    forecast_total: float | None
    year_before_total: float | None
    change_percent: float | None


class EntityEntry(TypedDict):
    """One entity's forecasts, shaped like the company's, or the reason it was not forecast."""

    entity: dict[str, str]
    status: Literal["ok", "failed", "skipped"]
    reason: str
    months: int | None
    forecast_chart: dict[str, list[ForecastRow]]
    forecast_bands: dict[str, list[BandRow]]
    history: dict[str, list[HistoryRow]]
    model_health_report: dict[str, Health]
    expected_change: dict[str, ExpectedChange]
    notes: list[str]


class FullReport(TypedDict):
    """``full_analysis_report``: the replaced system's sections plus this engine's."""

    dashboard_mode: Mode | None  # None until ``with_view`` writes the narratives
    metadata: Metadata
    kpis: dict[str, float | None]
    kpi_cards: dict[str, KpiCard]
    forecast_chart: dict[str, list[ForecastRow]]
    forecast_bands: dict[str, list[BandRow]]
    history: dict[str, list[HistoryRow]]
    model_health_report: dict[str, Health]
    timing: Timing
    narratives: Narratives | None
    entity_forecasts: NotRequired[dict[str, EntityEntry]]


class Report(TypedDict):
    full_analysis_report: FullReport

