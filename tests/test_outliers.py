"""One-off months: a single month far off its neighbours and its season is not learnt as if it
would come back; a season that returns every year, or a level that moves and stays, is kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import SourceFile, analyse, build_report, prepare
from forecasting.outliers import find_one_offs
from forecasting.selection import select_and_forecast

pytestmark = pytest.mark.usefixtures("single_blas_thread")

MONTHS = pd.date_range("2022-01-01", periods=36, freq="MS")


def _sales(seed: int = 7) -> np.ndarray:
    """Three years of a business around 200k a month, a mild season and 3% noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(36)
    return 200_000 * (1 + 0.004 * t + 0.06 * np.sin(2 * np.pi * t / 12)) * (
        1 + rng.normal(0, 0.03, 36))


def test_a_one_off_deal_is_not_repeated_a_year_later_nor_widens_the_band() -> None:
    values = _sales()
    values[30] *= 3  # July 2024: one deal three times a usual month
    history = pd.Series(values, index=MONTHS)
    sel = select_and_forecast(history, horizon=12, level=95)
    july = sel.forecast.mean[6]  # July 2025
    others = np.delete(sel.forecast.mean, 6)
    lower, upper = sel.forecast.bands[95]

    assert july < 1.2 * others.mean()
    assert np.all(upper < 1.5 * np.median(values))
    assert np.all(lower > 0.5 * np.median(values))
    assert any("Jul 2024" in note and "one-off" in note for note in sel.notes)


def test_a_peak_every_december_is_the_season_not_a_one_off() -> None:
    values = _sales()
    values[[11, 23, 35]] *= 2.5  # every December
    history = pd.Series(values, index=MONTHS)

    assert find_one_offs(history) == []
    sel = select_and_forecast(history, horizon=12, level=95)
    assert sel.forecast.mean[11] > 1.8 * np.median(sel.forecast.mean)  # December 2025


def test_a_level_that_moves_and_stays_is_not_a_one_off() -> None:
    values = _sales()
    values[20:] *= 1.5  # a price rise in September 2023
    assert find_one_offs(pd.Series(values, index=MONTHS)) == []


def test_a_spiky_series_keeps_its_spikes() -> None:
    values = _sales()
    values[[3, 9, 15, 20, 27, 33]] *= 3  # six unrelated spikes in three years: its nature
    assert find_one_offs(pd.Series(values, index=MONTHS)) == []


def test_the_report_alerts_which_month_the_forecast_was_fitted_without() -> None:
    values = _sales()
    values[30] *= 3
    rows = ["Date,Revenue"] + [f"{m:%Y-%m-%d},{v:.2f}" for m, v in zip(MONTHS, values,
                                                                     strict=True)]
    prepared = prepare([SourceFile("deal.csv", ("\n".join(rows) + "\n").encode())], 3, 95)
    report = build_report(analyse(prepared), "finance_guardian")
    alerts = report["full_analysis_report"]["metadata"]["data_alerts"]

    (alert,) = [a for a in alerts if a["metric"] == "revenue"]
    assert alert["title"] == "Revenue: Jul 2024 treated as a one-off"
    assert "neither repeated a year later" in alert["detail"]
    history = {r["date"][:7]: r for r in report["full_analysis_report"]["history"]["revenue"]}
    assert history["2024-07"]["value"] == pytest.approx(values[30], rel=1e-6)  # kept as it was
