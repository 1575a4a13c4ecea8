"""Rolling-origin backtest plan, model choice, determinism, failing candidates, derived growth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import ModelError
from forecasting.selection import plan_backtest, select_and_forecast

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def months(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2020-01-01", periods=n, freq="MS")


# --- the backtest plan ----------------------------------------------------------------------


@pytest.mark.parametrize(("n", "horizon", "origins", "seasonal"), [
    (60, 3, (51, 54, 57), True),    # five years: 3 origins a horizon apart, seasonal models
    (36, 6, (24, 27, 30), True),    # two years kept in the shortest training window
    (48, 12, (24, 30, 36), True),
    (24, 3, (12, 18, 21), False),   # the seed sample: no two-year window, so one fold
                                    # forecasts the same calendar months a year earlier
    (30, 12, (6, 12, 18), False),   # the n-12 fold (18) is already one of the origins
    (28, 3, (24, 25), True),        # only two origins fit after a two-year window
    (9, 3, (6,), False),            # the minimum: 6 months of training
])
def test_backtest_plan(n: int, horizon: int, origins: tuple[int, ...], seasonal: bool) -> None:
    plan = plan_backtest(n, horizon)
    assert plan.origins == origins
    assert plan.seasonal is seasonal
    assert plan.horizon == horizon
    assert plan.origins[-1] + horizon == n  # the last fold ends on the last month


def test_backtest_plan_invariants_over_many_lengths() -> None:
    for horizon in (1, 3, 6, 12):
        for n in range(horizon + 6, 73):
            plan = plan_backtest(n, horizon)
            where = (n, horizon)
            assert 1 <= len(plan.origins) <= 3, where
            assert list(plan.origins) == sorted(set(plan.origins)), where
            assert plan.origins[0] >= 6, where
            assert plan.origins[-1] + horizon == n, where
            assert plan.seasonal == (plan.origins[0] >= 24), where
            if n - horizon >= 26:  # two years of training and room for two more origins
                assert len(plan.origins) == 3 and plan.seasonal, where


def test_backtest_plan_refuses_too_short_a_history() -> None:
    with pytest.raises(ModelError, match="8 months are too few to backtest a 3-month forecast"):
        plan_backtest(8, 3)


# --- choosing a model -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seasonal_selection(seasonal_48):
    return select_and_forecast(seasonal_48, horizon=3, level=95)


def test_seasonal_series_gets_a_seasonal_model(seasonal_selection) -> None:
    sel = seasonal_selection
    assert sel.plan.seasonal
    assert sel.best not in ("drift",)
    scores = {s.family: s for s in sel.scores}
    assert scores[sel.best].mase < scores["drift"].mase
    # Every candidate was backtested; the chosen one has the lowest MASE.
    assert all(s.status == "ok" for s in sel.scores)
    assert scores[sel.best].mase == min(s.mase for s in sel.scores)


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
    assert sel.forecast.mean == pytest.approx([5_000.0] * 3)


def test_short_series_with_a_hole_still_gets_a_forecast() -> None:
    # 14 months: backtest windows too short for seasonal naive (12); one month has no value
    # (a ratio whose denominator was zero). Neither stops the metric from being forecast.
    noise = np.random.default_rng(3).normal(0, 1, 14)
    values = np.arange(14.0) * 10 + 100 + noise
    values[6] = np.nan
    sel = select_and_forecast(pd.Series(values, index=months(14)), horizon=3, level=95)

    assert "seasonal_naive" not in {s.family for s in sel.scores}
    assert sel.forecast.mean == pytest.approx([240.0, 250.0, 260.0], rel=0.02)
    assert "1 month(s) with no value (a division by zero) were interpolated." in sel.notes
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
    assert growth.forecast.bands[95][0][0] == pytest.approx((lower[0] - last) / last * 100)
    assert growth.forecast.bands[95][1][0] == pytest.approx((upper[0] - last) / last * 100)
    assert growth.forecast.mean[1] == pytest.approx((mean[1] - mean[0]) / mean[0] * 100)
    assert growth.forecast.bands[95][0][1] == pytest.approx((lower[1] - mean[0]) / mean[0] * 100)
    assert growth.forecast.bands[95][1][1] == pytest.approx((upper[1] - mean[0]) / mean[0] * 100)


def test_growth_candidates_are_rescored_on_growth_not_revenue(sample_analysis) -> None:
    revenue = {s.family: s for s in sample_analysis.results["revenue"].selection.scores}
    growth = {s.family: s for s in sample_analysis.results["growth_rate"].selection.scores}
    assert set(growth) == set(revenue)
    ok = [f for f in growth if growth[f].status == "ok"]
    assert ok
    # Percent points vs currency: the errors cannot be the same numbers.
    assert all(growth[f].rmse != revenue[f].rmse for f in ok)
    assert all(growth[f].rmse < 100 for f in ok)
