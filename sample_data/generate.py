"""Generate a realistic monthly financial export for a fictional mid-size company.

The output mimics a flat ERP/BI export: 60 monthly rows (Jan 2021 .. Dec 2025),
human-readable headers, whole-dollar amounts written as plain integers.

Built-in structure, useful for exercising a forecasting engine:

* revenue around $1.2M/month growing ~12%/year with yearly seasonality
  (peak Nov/Dec, trough Feb, amplitude ~12%) and ~3% gaussian noise;
* a downturn: revenue drops ~15% over 2023-Q2..Q3 and recovers through 2024;
* sticky operating costs (margin compresses in the downturn);
* DSO drifting 38 -> 52 days during the downturn and settling near 42.

The seed is fixed, so repeated runs produce byte-identical files.

Usage::

    python sample_data/generate.py [--output PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240131
N_MONTHS = 60
START_MONTH = "2021-01"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "company_financials.csv"

BASE_REVENUE = 1_200_000.0
ANNUAL_GROWTH = 0.12
REVENUE_NOISE = 0.03
# Multiplicative seasonal factors, Jan..Dec (normalised to mean 1 below).
SEASONAL_FACTORS = np.array(
    [0.95, 0.88, 0.93, 0.97, 0.99, 1.00, 0.98, 0.98, 1.01, 1.04, 1.11, 1.14]
)
# Downturn multiplier knots: (month index, factor). Index 0 = Jan 2021.
DOWNTURN_KNOTS = ((0, 1.0), (26, 1.0), (32, 0.85), (35, 0.85), (47, 1.0), (59, 1.0))
# Days sales outstanding knots: flat ~38, up to 52 in the downturn, back to ~42.
DSO_KNOTS = ((0, 38.0), (26, 38.5), (32, 49.0), (36, 52.0), (47, 42.0), (59, 42.0))

BASE_COST_RATIO = 0.63
COST_STICKINESS = 0.6  # share of a revenue drop that operating costs do NOT follow
COST_RATIO_NOISE = 0.008

FIXED_ASSETS_START = 4_000_000.0
FIXED_ASSETS_GROWTH = 0.07
DEPRECIATION_MONTHS = 120  # straight-line, 10-year useful life

COLUMNS = [
    "Transaction Date",
    "Sales Revenue",
    "Operating Costs",
    "Net Profit",
    "Cash Flow from Operations",
    "Accounts Receivable",
    "Accounts Payable",
    "Total Assets",
    "Total Liabilities",
    "Marketing Spend",
    "Inventory",
    "Region",
    "Department",
]


def interpolate_knots(knots: tuple[tuple[int, float], ...], n: int) -> np.ndarray:
    """Piecewise-linear curve through (index, value) knots, sampled at 0..n-1."""
    xs, ys = zip(*knots, strict=True)
    return np.asarray(np.interp(np.arange(n), xs, ys), dtype=float)


def month_end_dates(n: int) -> list[str]:
    """ISO dates of the last day of each month, starting at START_MONTH."""
    periods = pd.period_range(START_MONTH, periods=n, freq="M")
    return [p.end_time.date().isoformat() for p in periods]


def simulate_revenue(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (revenue, downturn multiplier): trend x seasonality x downturn x noise."""
    t = np.arange(n)
    trend = BASE_REVENUE * (1.0 + ANNUAL_GROWTH) ** (t / 12.0)
    seasonal = (SEASONAL_FACTORS / SEASONAL_FACTORS.mean())[t % 12]
    downturn = interpolate_knots(DOWNTURN_KNOTS, n)
    noise = 1.0 + rng.normal(0.0, REVENUE_NOISE, n)
    return trend * seasonal * downturn * noise, downturn


def simulate_costs(
    rng: np.random.Generator, revenue: np.ndarray, downturn: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (operating costs, marketing spend) as shares of revenue.

    Costs only follow (1 - COST_STICKINESS) of the downturn, so the cost ratio
    rises and the margin compresses while revenue is depressed.
    """
    sticky = (1.0 - (1.0 - COST_STICKINESS) * (1.0 - downturn)) / downturn
    ratio = BASE_COST_RATIO * sticky + rng.normal(0.0, COST_RATIO_NOISE, revenue.size)
    marketing_ratio = rng.uniform(0.08, 0.10, revenue.size)
    return revenue * ratio, revenue * marketing_ratio


def simulate_working_capital(
    rng: np.random.Generator, revenue: np.ndarray, costs: np.ndarray
) -> dict[str, np.ndarray]:
    """Receivables (DSO-driven), payables (DPO-driven) and inventory balances."""
    n = revenue.size
    dso = interpolate_knots(DSO_KNOTS, n) + rng.normal(0.0, 0.8, n)
    dpo = np.clip(40.0 + rng.normal(0.0, 2.5, n), 35.0, 45.0)
    inventory_ratio = np.clip(0.6 + rng.normal(0.0, 0.04, n), 0.5, 0.7)
    return {
        "dso": dso,
        "receivables": revenue * dso / 30.0,
        "payables": costs * dpo / 30.0,
        "inventory": costs * inventory_ratio,
    }


def fixed_assets(n: int) -> np.ndarray:
    """Non-working-capital assets: ~$4M growing ~7%/year."""
    return FIXED_ASSETS_START * (1.0 + FIXED_ASSETS_GROWTH) ** (np.arange(n) / 12.0)


def operating_cash_flow(
    rng: np.random.Generator, profit: np.ndarray, wc: dict[str, np.ndarray]
) -> np.ndarray:
    """Profit plus depreciation, less working-capital build-up, plus noise.

    Receivables follow seasonal revenue, so cash flow dips below profit in
    the Q4 peak and rebounds in Q1 when the peak receivables are collected.
    """

    def delta(x: np.ndarray) -> np.ndarray:
        return np.diff(x, prepend=x[:1])

    depreciation = fixed_assets(profit.size) / DEPRECIATION_MONTHS
    change = delta(wc["receivables"]) + delta(wc["inventory"]) - delta(wc["payables"])
    noise = rng.normal(0.0, 25_000.0, profit.size)
    return np.asarray(profit + depreciation - change + noise, dtype=float)


def balance_sheet(
    rng: np.random.Generator, wc: dict[str, np.ndarray], downturn: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Total assets (~$6M, growing) and liabilities (45-55% of assets)."""
    n = downturn.size
    assets = fixed_assets(n) + wc["receivables"] + wc["inventory"]
    assets *= 1.0 + rng.normal(0.0, 0.005, n)
    leverage = 0.50 + 0.25 * (1.0 - downturn) + rng.normal(0.0, 0.008, n)
    return assets, assets * np.clip(leverage, 0.45, 0.55)


def build_frame(seed: int = SEED, n: int = N_MONTHS) -> pd.DataFrame:
    """Simulate all series and assemble the export table (whole dollars)."""
    rng = np.random.default_rng(seed)
    revenue, downturn = simulate_revenue(rng, n)
    costs, marketing = simulate_costs(rng, revenue, downturn)
    revenue, costs = np.round(revenue), np.round(costs)
    profit = revenue - costs
    wc = simulate_working_capital(rng, revenue, costs)
    cash_flow = operating_cash_flow(rng, profit, wc)
    assets, liabilities = balance_sheet(rng, wc, downturn)
    amounts = {
        "Sales Revenue": revenue,
        "Operating Costs": costs,
        "Net Profit": profit,
        "Cash Flow from Operations": cash_flow,
        "Accounts Receivable": wc["receivables"],
        "Accounts Payable": wc["payables"],
        "Total Assets": assets,
        "Total Liabilities": liabilities,
        "Marketing Spend": marketing,
        "Inventory": wc["inventory"],
    }
    frame = pd.DataFrame({k: np.round(v).astype(np.int64) for k, v in amounts.items()})
    frame.insert(0, "Transaction Date", month_end_dates(n))
    frame["Region"] = rng.choice(["NAM", "EMEA"], size=n, p=[0.65, 0.35])
    frame["Department"] = "Company"
    return frame[COLUMNS]


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, generate the data and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    frame = build_frame()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.output, index=False, lineterminator="\n")
    print(f"wrote {len(frame)} rows x {len(frame.columns)} columns to {args.output}")


if __name__ == "__main__":
    main()
