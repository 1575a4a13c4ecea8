"""Rolling-origin backtest plan, model choice, determinism, failing candidates, derived growth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from forecasting import ForecastJob, ModelError, run_jobs
from forecasting.combine import SHIPPED
from forecasting.growth import growth_band
from forecasting.selection import plan_backtest, select_and_forecast

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def months(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2020-01-01", periods=n, freq="MS")


# --- the backtest plan ----------------------------------------------------------------------


@pytest.mark.parametrize(("n", "origins", "seasonal"), [
    (60, (48, 52, 56), True),    # folds end a year, 8 and 4 months before the data does
    (36, (24, 28, 32), True),    # two years kept in the shortest training window
    (30, (18, 22, 26), False),
    (24, (12, 16, 20), False),   # the seed sample: the first fold forecasts the same calendar
                                 # months a year earlier
    (14, (6, 10), False),        # a fold needs 6 months to train on
    (12, (8,), False),
])
def test_backtest_plan(n: int, origins: tuple[int, ...], seasonal: bool) -> None:
    checked = min(12, n - origins[0])  # months the earliest fold can be checked on
    for horizon in (1, 3, 6, 12):  # the plan never depends on the horizon asked
        if horizon > checked:
            with pytest.raises(ModelError, match=f"too few to backtest a {horizon}-month"):
                plan_backtest(n, horizon)
            continue
        plan = plan_backtest(n, horizon)
        assert plan.origins == origins
        assert plan.seasonal is seasonal
        assert [plan.steps(o) for o in origins] == [min(12, n - o) for o in origins]


def test_backtest_plan_refuses_too_short_a_history() -> None:
    with pytest.raises(ModelError, match="8 months are too few to backtest a 3-month forecast"):
        plan_backtest(8, 3)


# --- choosing a model -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seasonal_selection(seasonal_48):
    return select_and_forecast(seasonal_48, horizon=3, level=95)


def test_seasonal_series_gets_a_weighted_combination(seasonal_selection) -> None:
    sel = seasonal_selection
    assert sel.plan.seasonal and sel.seasonal
    assert sel.best == "combination" and sel.method == "combination"
    # Every candidate was backtested and scored; the combination beats the trend-only baseline.
    scores = {s.family: s for s in sel.scores}
    assert all(s.status == "ok" for s in sel.scores)
    assert scores["combination"].mase < scores["drift"].mase
    assert set(sel.weights) == set(SHIPPED.members)
    assert sum(sel.weights.values()) == pytest.approx(1.0)
    assert all(w > 0 for w in sel.weights.values())
    assert sel.best_name == f"Weighted combination of {len(SHIPPED.members)} models"
    # The choice by backtest stays visible: the single family with the lowest backtest MASE.
    singles = [s for s in sel.scores if s.family != "combination"]
    assert sel.best_single in {s.family for s in singles}


def test_choice_by_backtest_stays_available(seasonal_48) -> None:
    sel = select_and_forecast(seasonal_48, horizon=3, level=95, method="best")
    combination = select_and_forecast(seasonal_48, horizon=3, level=95)
    assert sel.method == "best" and sel.best == combination.best_single
    assert "combination" not in {s.family for s in sel.scores}
    # Its forecast is the chosen family's own, refitted on all the data.
    from forecasting.backtest import fit_final
    own = fit_final(sel.best, seasonal_48)
    assert sel.forecast.mean == pytest.approx(own.mean[:3])


def test_selection_forecasts_the_months_after_the_data(seasonal_selection) -> None:
    sel = seasonal_selection
    assert list(sel.dates) == list(pd.date_range("2023-01-01", periods=3, freq="MS"))
    assert sel.forecast.mean.shape == (3,)
    lower, upper = sel.forecast.bands[95]
    assert (lower <= sel.forecast.mean).all() and (sel.forecast.mean <= upper).all()


def test_selection_is_deterministic(seasonal_selection, seasonal_48) -> None:
    again = select_and_forecast(seasonal_48.copy(), horizon=3, level=95)
    assert again.best == seasonal_selection.best
    assert np.array_equal(again.forecast.mean, seasonal_selection.forecast.mean)
    for level in (80, 95):
        for side in (0, 1):
            assert np.array_equal(again.forecast.bands[level][side],
                                  seasonal_selection.forecast.bands[level][side])
    assert [(s.family, s.mase, s.coverage) for s in again.scores] == \
        [(s.family, s.mase, s.coverage) for s in seasonal_selection.scores]


def test_a_failing_candidate_does_not_sink_the_metric() -> None:
    # A balance that never moves: ARIMA cannot be fitted on it, the others can.
    flat = pd.Series(5_000.0, index=months(20))
    sel = select_and_forecast(flat, horizon=3, level=95)

    failed = [s for s in sel.scores if s.status == "failed"]
    assert failed, "premise: some candidate fails on a constant series"
    assert all(s.reason and s.mase is None for s in failed)
    assert sel.best not in {s.family for s in failed}
    assert sel.forecast.mean == pytest.approx([5_000.0] * 3, rel=1e-3)


def test_short_series_with_a_hole_still_gets_a_forecast() -> None:
    # 14 months: backtest windows too short for seasonal naive (12); one month has no value
    # (a ratio whose denominator was zero). Neither stops the metric from being forecast.
    noise = np.random.default_rng(3).normal(0, 1, 14)
    values = np.arange(14.0) * 10 + 100 + noise
    values[6] = np.nan
    sel = select_and_forecast(pd.Series(values, index=months(14)), horizon=3, level=95)

    assert not {"seasonal_naive", "snaive_drift"} & {s.family for s in sel.scores}
    assert sel.forecast.mean == pytest.approx([240.0, 250.0, 260.0], rel=0.02)
    assert "1 month with no value (a division by zero) was interpolated." in sel.notes
    assert any("without yearly seasonality" in note for note in sel.notes)


def test_series_too_short_to_backtest_is_refused() -> None:
    with pytest.raises(ModelError, match="too few to backtest"):
        select_and_forecast(pd.Series(np.arange(8.0), index=months(8)), horizon=3, level=95)


# --- growth_rate derived from revenue -------------------------------------------------------


def test_growth_forecast_comes_from_revenues_forecast_and_bounds(sample_analysis) -> None:
    revenue = sample_analysis.results["revenue"].selection
    growth = sample_analysis.results["growth_rate"].selection
    history = sample_analysis.prepared.kpis.values["revenue"]
    last = float(history.iloc[-1])  # December 2024: 250,000

    assert growth.best == revenue.best
    assert list(growth.dates) == list(revenue.dates)
    mean, (lower, upper) = revenue.forecast.mean, revenue.forecast.bands[95]
    # Step 1 against the last actual month, step 2 against the forecast for step 1.
    assert growth.forecast.mean[0] == pytest.approx((mean[0] - last) / last * 100)
    assert growth.forecast.mean[1] == pytest.approx((mean[1] - mean[0]) / mean[0] * 100)
    # The first month's band is revenue's own band measured from the last actual month
    # (within the sampling error of the joint paths).
    width = (upper[0] - lower[0]) / last * 100
    assert growth.forecast.bands[95][0][0] == pytest.approx((lower[0] - last) / last * 100,
                                                            abs=0.05 * width)
    assert growth.forecast.bands[95][1][0] == pytest.approx((upper[0] - last) / last * 100,
                                                            abs=0.05 * width)
    for level in (80, 95):
        low, high = growth.forecast.bands[level]
        assert (low <= growth.forecast.mean).all() and (growth.forecast.mean <= high).all()


def test_growth_band_never_falls_below_minus_100_percent() -> None:
    # A revenue forecast so unsure that its band reaches far below zero: revenue cannot be
    # negative, so month-over-month growth cannot fall below -100%.
    mean = np.array([100.0, 105.0, 110.0])
    lower, upper = mean - np.array([150.0, 200.0, 250.0]), mean + np.array([150.0, 200.0, 250.0])
    for level in (80, 95):
        low, high = growth_band(100.0, mean, lower, upper, level)
        assert (low >= -100.0).all()
        assert (high > 0).all()
    # A tight band stays tight: +5% next month, give or take about 2 points at 95%.
    mean = np.array([105.0, 110.0, 115.0])
    low, high = growth_band(100.0, mean, mean - 2, mean + 2, 95)
    assert low[0] == pytest.approx(3.0, abs=0.2) and high[0] == pytest.approx(7.0, abs=0.2)


def test_growth_after_a_negative_month_is_measured_against_its_size_without_warnings() -> None:
    """A month of net refunds (negative revenue) last: growth into the first forecast month is
    measured against its size, as the history's growth is (kpis), band included; no numpy
    warning reaches the worker's stderr."""
    values = [1000.0 + 10 * i + 50 * (i % 12 == 5) for i in range(25)] + [-125.0]
    series = pd.Series(values, index=months(26))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (result,) = run_jobs([ForecastJob("growth_rate", series, 3, 95, derive="growth_rate")])
    assert result.status == "ok", result.reason
    fc = result.selection.forecast
    revenue = next(run_jobs([ForecastJob("revenue", series, 3, 95)])).selection.forecast.mean
    assert fc.mean[0] == pytest.approx((revenue[0] + 125.0) / 125.0 * 100)
    for level in (80, 95):
        low, high = fc.bands[level]
        assert np.isfinite(low).all() and np.isfinite(high).all()
        assert low[0] <= fc.mean[0] <= high[0]


def test_growth_from_a_last_month_of_zero_revenue_says_so() -> None:
    series = pd.Series([100.0 + 3 * i for i in range(25)] + [0.0], index=months(26))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (result,) = run_jobs([ForecastJob("growth_rate", series, 3, 95, derive="growth_rate")])
    assert result.status == "failed"
    assert result.reason.startswith("growth cannot be forecast from a month of zero revenue"), \
        result.reason


def test_growth_candidates_are_rescored_on_growth_not_revenue(sample_analysis) -> None:
    revenue = {s.family: s for s in sample_analysis.results["revenue"].selection.scores}
    growth = {s.family: s for s in sample_analysis.results["growth_rate"].selection.scores}
    assert set(growth) == set(revenue)
    ok = [f for f in growth if growth[f].status == "ok"]
    assert ok
    # Percent points vs currency: the errors cannot be the same numbers.
    assert all(growth[f].rmse != revenue[f].rmse for f in ok)
    assert all(growth[f].rmse < 100 for f in ok)
