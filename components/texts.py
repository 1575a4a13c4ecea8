"""Defaults, labels and help texts for the page, in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Final

SAMPLE_PATH: Final = Path(__file__).resolve().parents[1] / "sample_data" / "company_financials.csv"
SAMPLE_NAME: Final = "company_financials.csv (bundled sample)"
FIRST_STEP: Final = (
    "**This page shows the bundled sample**: 60 months of a generated company, forecast 3 "
    "months ahead. **To forecast your own numbers**, drop one or more CSV exports (monthly or "
    "daily rows, with a date and a revenue column) on **Data → CSV exports** in the sidebar."
)
APP_TITLE: Final = "Parallel financial forecasting"

MODE_LABELS: Final = {
    "finance_guardian": "Finance guardian — risks and controls",
    "financial_storyteller": "Financial storyteller — the growth story",
}
EXECUTOR_LABELS: Final = {
    "processes": "Process pool (parallel)",
    "sequential": "Sequential (one after another)",
    "threads": "Threads",
    "dask": "Dask cluster",
}
HELP: Final = {
    "upload": "One or more CSV exports (monthly or daily rows). Several files are merged; exact "
    "duplicate rows are dropped. Without an upload the bundled sample is used.",
    "horizon": "How many months ahead to forecast.",
    "level": "The confidence level of the band around each forecast.",
    "executor": "Where the 14 forecast jobs run. The process pool is kept warm between runs "
    "and shared by everyone using this server; sequential runs one job at a time in one of its "
    "workers.",
    "workers": "How many of the server's worker processes (or threads) run your jobs at once.",
    "time_limit": "A task (one of a series' model fits, or a metric's combination) that runs "
    "longer than this is stopped (its worker process replaced) and the metrics it served are "
    "reported failed; the other metrics are not affected.",
    "mode": "Changes the narrative only; the forecasts are not refitted.",
}
TABS: Final = (
    "Core", "Working capital", "Ratios", "By entity", "Model details", "Timing", "Downloads"
)
WINDOWS: Final = ("Last 2 years and the forecast", "All history")
GROUPS: Final = {
    "Core": ("revenue", "expenses", "profit", "cashflow"),
    "Working capital": ("dso", "dpo", "cash_conversion_cycle", "ar", "ap", "working_capital"),
    "Ratios": ("profit_margin", "expense_ratio", "debt_to_equity_ratio", "growth_rate"),
}
# The columns that bring a metric back when the data lacks it, beyond a date and revenue: each
# group is one column to add, with the alternatives that serve as well.
BRINGS_BACK: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "expenses": (("expenses", "cogs"),),
    "profit": (("profit", "expenses", "cogs"),),
    "cashflow": (("cashflow",),),
    "dso": (("ar",),),
    "dpo": (("ap",), ("cogs", "expenses")),
    "cash_conversion_cycle": (("ar",), ("ap",), ("cogs", "expenses")),
    "ar": (("ar",),),
    "ap": (("ap",),),
    "working_capital": (("current_assets", "assets"), ("current_liabilities", "liabilities")),
    "profit_margin": (("profit", "expenses", "cogs"),),
    "expense_ratio": (("expenses", "cogs"),),
    "debt_to_equity_ratio": (("liabilities",), ("equity", "assets")),
}
CARD_METRICS: Final = (
    "revenue",
    "profit_margin",
    "growth_rate",
    "cashflow",
    "dso",
    "dpo",
    "cash_conversion_cycle",
    "working_capital",
    "debt_to_equity_ratio",
)
