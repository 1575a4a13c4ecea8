"""Scoring and combining, against numbers worked out by hand on tiny series: MASE with its
seasonal scale, sMAPE, RMSE, band coverage, the backtest's per-fold MASE, and the combination's
members and 1/MASE weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.backtest import FitOutput, plan_backtest
from forecasting.combine import SHIPPED, CombineSettings, combine_outputs
from forecasting.scores import coverage, mase, mase_scale, rmse, score_folds, smape
from forecasting.selection import FoldForecast, assemble

# --- one measure at a time --------------------------------------------------------------------


def test_mase_divides_by_the_mean_change_over_twelve_months_with_two_years() -> None:
    # 2 a month for two years: month-to-month change 2, year-over-year change 24.
    train = 2.0 * np.arange(24)
    assert mase_scale(train) == 24.0
    # Errors of 3 and 4: mean 3.5, over 24.
    assert mase(np.array([50.0, 52.0]), np.array([47.0, 56.0]), train) == pytest.approx(3.5 / 24)


def test_mase_divides_by_the_mean_monthly_change_under_two_years() -> None:
    train = np.array([1.0, 4.0, 2.0, 8.0])  # changes 3, 2, 6: mean 11/3
    assert mase_scale(train) == pytest.approx(11 / 3)
    assert mase(np.array([10.0]), np.array([8.0]), train) == pytest.approx(2 / (11 / 3))


def test_a_history_that_never_moves_scales_by_a_thousandth_of_its_level() -> None:
    assert mase_scale(np.full(30, 500.0)) == pytest.approx(0.5)


def test_smape_is_two_hundred_times_the_error_over_the_sum_of_sizes() -> None:
    values = smape(np.array([100.0, 0.0, -50.0]), np.array([110.0, 0.0, -40.0]))
    assert values == pytest.approx([200 * 10 / 210, 0.0, 200 * 10 / 90])


def test_rmse_pools_every_error() -> None:
    assert rmse(np.array([3.0, -4.0, 0.0])) == pytest.approx(np.sqrt(25 / 3))


def test_coverage_counts_months_inside_the_band_edges_included() -> None:
    actual = np.array([1.0, 5.0, 3.0, 10.0])
    lower, upper = np.array([0.0, 6.0, 3.0, 0.0]), np.array([2.0, 9.0, 4.0, 9.0])
    assert coverage(actual, lower, upper) == 0.5


def test_a_backtest_scores_each_fold_against_the_history_before_its_origin() -> None:
    # y = t^2/10: the year-over-year change grows, so each fold has its own MASE scale:
    # 27.6 for the 24 months before month 24, 30 for the 26 before month 26.
    y = np.arange(30.0) ** 2 / 10
    assert (mase_scale(y[:24]), mase_scale(y[:26])) == pytest.approx((27.6, 30.0))
    first = y[24:26] + np.array([2.76, -5.52])  # errors 2.76 and 5.52: MASE 4.14 / 27.6 = 0.15
    second = y[26:28] + np.array([6.0, -6.0])  # errors 6 and 6: MASE 6 / 30 = 0.2
    bands = {80: (y[24:26] - 1, y[24:26] + 1), 95: (y[24:26] - 9, y[24:26] + 9)}
    wide = {80: (second - 1, second + 1), 95: (second - 9, second + 9)}
    folds = [FoldForecast(24, pd.Timestamp("2022-01-01"), first, bands),
             FoldForecast(26, pd.Timestamp("2022-03-01"), second, wide)]

    scores = score_folds(y, folds)

    assert scores["mase"] == pytest.approx((0.15 + 0.2) / 2)
    assert scores["rmse"] == pytest.approx(np.sqrt((2.76**2 + 5.52**2 + 36 + 36) / 4))
    # The 80% bands are drawn around the actuals in the first fold, around the (wrong) forecast
    # in the second: 2 of 4 months inside. The 95% bands hold every month.
    assert (scores["coverage_80"], scores["coverage_95"]) == (0.5, 1.0)


# --- the combination: members and weights -------------------------------------------------------


def _outputs(y: np.ndarray, offset: float, final: float, origins: tuple[int, ...]) -> tuple[
        list[FitOutput], FitOutput]:
    """Folds whose every month misses by ``offset`` times the fold's MASE scale (a backtest MASE
    of exactly ``offset``), and a flat final forecast at ``final`` with a band of +-10."""
    folds = []
    for origin in origins:
        k = min(12, len(y) - origin)
        mean = y[origin : origin + k] + offset * mase_scale(y[:origin])
        folds.append(FitOutput("x", "x", origin, "ok", mean,
                               {80: (mean - 5, mean + 5), 95: (mean - 10, mean + 10)}, 0.0))
    flat = np.full(12, final)
    return folds, FitOutput("x", "x", len(y), "ok", flat,
                            {80: (flat - 5, flat + 5), 95: (flat - 10, flat + 10)}, 0.0)


def test_members_are_weighted_by_one_over_their_backtest_mase() -> None:
    y = 1000 + 2.0 * np.arange(48) + 30 * np.sin(np.arange(48))
    plan = plan_backtest(48)
    folds, finals = {}, {}
    for family, offset, final in (("ets", 0.5, 100.0), ("theta", 1.0, 200.0),
                                  ("sarima", 2.0, 400.0), ("drift", 0.25, 9999.0)):
        folds[family], finals[family] = _outputs(y, offset, final, plan.origins)
    settings = CombineSettings(members=("ets", "theta", "sarima"))

    combined, _, weights = combine_outputs(y, plan, folds, finals, settings.members, settings)

    # 1/0.5 : 1/1 : 1/2 = 4 : 2 : 1; drift is not a member however good its backtest.
    assert weights == pytest.approx({"ets": 4 / 7, "theta": 2 / 7, "sarima": 1 / 7})
    assert combined.mean == pytest.approx(np.full(12, (4 * 100 + 2 * 200 + 400) / 7))


def test_the_shipped_combination_has_every_member_that_could_be_fitted(seasonal_48) -> None:
    index = seasonal_48.index
    plan = plan_backtest(len(index))
    y = seasonal_48.to_numpy()
    offsets = {"ets": 0.6, "theta": 0.8, "sarima": 0.9, "snaive_drift": 1.1, "prophet": 1.3,
               "seasonal_naive": 1.2, "drift": 2.0}
    folds, finals = {}, {}
    for family, offset in offsets.items():
        family_folds, final = _outputs(y, offset, 1000.0 + 10 * offset, plan.origins)
        folds[family] = [FitOutput(family, family, o.origin, "ok", o.mean, o.bands, 0.0)
                         for o in family_folds]
        finals[family] = FitOutput(family, family, final.origin, "ok", final.mean, final.bands,
                                   0.0)
    finals["prophet"] = FitOutput("prophet", "Prophet", len(y), "failed", np.empty(0), {}, 0.0,
                                  "Prophet could not fit")

    sel = assemble(seasonal_48, plan, folds, finals, 12, 95)

    expected = [f for f in SHIPPED.members if f != "prophet"]  # a failed member drops out
    assert len(expected) >= 3
    assert set(sel.weights) == set(expected)
    inverse = {f: 1 / offsets[f] for f in expected}
    assert sel.weights == pytest.approx({f: v / sum(inverse.values()) for f, v in inverse.items()})
    scores = {s.family: s for s in sel.scores}
    for family in expected:  # the weights are what the model details show as backtest MASE
        assert scores[family].mase == pytest.approx(offsets[family])
    assert sel.best == "combination" and sel.best_single == "ets"
