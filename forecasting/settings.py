"""Typed settings shared by the CLI, the dashboard and the engine, with their defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "DASK_SCHEDULER_ENV",
    "DEFAULT_HORIZON",
    "DEFAULT_LEVEL",
    "DEFAULT_TIME_LIMIT",
    "EXECUTOR_KINDS",
    "INPUT_LIMITS",
    "LEVELS",
    "MAX_AMOUNT",
    "MAX_TIME_LIMIT",
    "METRICS",
    "MODES",
    "POOL_WORKERS_ENV",
    "ExecutorKind",
    "InputLimits",
    "Level",
    "Mode",
    "RunSettings",
    "server_pool_size",
]

Mode = Literal["finance_guardian", "financial_storyteller"]
ExecutorKind = Literal["sequential", "threads", "processes", "dask"]
Level = Literal[80, 95]

MODES: Final[tuple[Mode, ...]] = ("finance_guardian", "financial_storyteller")
EXECUTOR_KINDS: Final[tuple[ExecutorKind, ...]] = ("processes", "sequential", "threads", "dask")
LEVELS: Final[tuple[Level, ...]] = (80, 95)
DEFAULT_HORIZON: Final = 3
DEFAULT_LEVEL: Final[Level] = 95
MAX_HORIZON: Final = 12
MAX_AMOUNT: Final = 1e15
"""Larger amounts are read as unreadable: no monthly figure is a quadrillion, and sums of such
values overflow to infinity."""
# Seconds one job (a metric's backtest, choice and final fit) may run before its worker is
# replaced and the metric reported failed: a 60-month series takes about a second.
DEFAULT_TIME_LIMIT: Final = 60.0
MAX_TIME_LIMIT: Final = 3600.0
POOL_WORKERS_ENV: Final = "FORECAST_POOL_WORKERS"
DASK_SCHEDULER_ENV: Final = "FORECAST_DASK_SCHEDULER"
"""A Dask scheduler's address the dashboard offers by default (``tcp://host:8786``)."""
_MAX_POOL_WORKERS: Final = 16

# The 14 forecasts, in the order the report and the dashboard show them.
METRICS: Final[tuple[str, ...]] = (
    "revenue",
    "expenses",
    "profit",
    "cashflow",
    "dso",
    "dpo",
    "cash_conversion_cycle",
    "ar",
    "ap",
    "working_capital",
    "profit_margin",
    "expense_ratio",
    "debt_to_equity_ratio",
    "growth_rate",
)


@dataclass(frozen=True)
class RunSettings:
    """What the user chose: how far to forecast, at which interval level, on which executor."""

    mode: Mode = "finance_guardian"
    horizon: int = DEFAULT_HORIZON
    level: Level = DEFAULT_LEVEL
    executor: ExecutorKind = "processes"
    workers: int = 2
    time_limit: float = DEFAULT_TIME_LIMIT
    # A Dask scheduler's address (tcp://host:8786): the jobs run on that cluster instead. With
    # executor "dask" and no address, a local cluster is started for the run.
    dask_scheduler: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= MAX_HORIZON:
            raise ValueError(f"horizon must be 1 to {MAX_HORIZON} months, got {self.horizon}")
        if self.level not in LEVELS:
            raise ValueError(f"level must be 80 or 95, got {self.level}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.executor not in EXECUTOR_KINDS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTOR_KINDS)}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if not 1 <= self.time_limit <= MAX_TIME_LIMIT:
            raise ValueError(
                f"the time limit must be 1 to {MAX_TIME_LIMIT:g} seconds, got {self.time_limit:g}"
            )



@dataclass(frozen=True)
class InputLimits:
    """What one upload may hold; each limit is named in the one-line error that enforces it.

    The file size matches the server's upload cap (``.streamlit/config.toml``); the others keep
    every accept-or-refuse decision linear in the file's size and well under 30 s."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_files: int = 20
    max_line_chars: int = 100_000
    max_field_chars: int = 10_000
    max_columns: int = 500
    max_rows: int = 2_000_000
    max_unread_rows: int = 5


INPUT_LIMITS: Final = InputLimits()


def server_pool_size() -> int:
    """Workers in the one pool a dashboard server keeps: ``$FORECAST_POOL_WORKERS``, else one
    per CPU, at most 16 (14 jobs a report; each warm worker holds ~180 MB)."""
    value = os.environ.get(POOL_WORKERS_ENV, "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return max(1, min(os.cpu_count() or 1, _MAX_POOL_WORKERS))
