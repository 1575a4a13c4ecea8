"""The numpy SARIMA and Theta are the statsmodels models they replace (for speed): the same
likelihood, the same estimates, the same forecasts, checked against statsmodels itself on
generated seasonal series of business lengths."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecasting.models.arima import AIRLINE, NONSEASONAL, SARIMA, _differenced, _solve
from forecasting.models.base import z_value
from forecasting.models.theta import Theta


def seasonal_series(months: int, seed: int) -> pd.Series:
    """Trend, a yearly cycle, a wandering level and noise: a company's monthly revenue."""
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    values = (1_000 + 8 * t + 120 * np.sin(2 * np.pi * (t + seed) / 12)
              + 0.5 * rng.normal(0, 30, months).cumsum() + rng.normal(0, 20, months))
    return pd.Series(values, index=pd.date_range("2020-01-01", periods=months, freq="MS"))


@pytest.fixture(autouse=True)
def quiet_statsmodels() -> None:
    warnings.simplefilter("ignore")


@pytest.mark.parametrize(("months", "seed"), [(36, 1), (48, 2), (60, 3)])
def test_airline_likelihood_and_estimates_are_statsmodels_sarimax(months: int, seed: int) -> None:
    series = seasonal_series(months, seed)
    ours = SARIMA(True).fit(series)
    assert ours.name == "SARIMA(0, 1, 1)"
    w = _differenced(AIRLINE, series.to_numpy())
    solved = _solve(AIRLINE, ours._params, w)
    model = SARIMAX(series.to_numpy(), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12),
                    simple_differencing=True)
    # The exact Gaussian likelihood of the differenced series, at our estimates.
    assert solved.log_likelihood == pytest.approx(
        model.loglike(np.r_[ours._params, solved.scale]), rel=1e-9)
    # And ours is statsmodels' maximum: by statsmodels' own likelihood its estimates do at most
    # 0.01 better than ours, a likelihood ratio of 1% (near the invertibility bound the surface
    # is flat and the two optimisers stop at slightly different points).
    theirs = model.fit(disp=False).params
    best = model.loglike(np.r_[ours._params, solved.scale])
    assert model.loglike(theirs) <= best + 0.01, (ours._params, theirs)


def test_arima_with_drift_likelihood_is_statsmodels_sarimax() -> None:
    series = seasonal_series(20, 4)  # under two years: the non-seasonal variants
    for spec, order in zip(NONSEASONAL, ((0, 1, 1), (1, 1, 0)), strict=True):
        w = _differenced(spec, series.to_numpy())
        params = np.array([0.3])
        solved = _solve(spec, params, w)
        model = SARIMAX(series.to_numpy(), order=order, trend="c", simple_differencing=True)
        # statsmodels' parameters: the intercept (the differences' mean times 1 - phi for the AR
        # term), the AR or MA term, the variance.
        ar = order[0] == 1
        intercept = solved.mean * (1 - params[0]) if ar else solved.mean
        assert solved.log_likelihood == pytest.approx(
            model.loglike(np.r_[intercept, params, solved.scale]), rel=1e-9), spec.name


def test_airline_forecast_and_its_spread_match_statsmodels_at_the_same_parameters() -> None:
    series = seasonal_series(48, 5)
    ours = SARIMA(True).fit(series)
    solved = _solve(AIRLINE, ours._params, _differenced(AIRLINE, series.to_numpy()))
    model = SARIMAX(series.to_numpy(), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
    theirs = model.filter(np.r_[ours._params, solved.scale]).get_forecast(6)
    forecast = ours.predict(6, [95])
    # statsmodels' levels model starts from a diffuse prior: equal to a hundredth of a percent.
    assert np.allclose(forecast.mean, theirs.predicted_mean, rtol=2e-4)
    lower, upper = forecast.bands[95]
    spread = (upper - lower) / (2 * z_value(95))
    assert np.allclose(spread, np.sqrt(theirs.var_pred_mean), rtol=0.01)


@pytest.mark.parametrize(("months", "seed"), [(24, 6), (48, 7), (60, 8)])
def test_theta_forecast_is_statsmodels_theta_model(months: int, seed: int) -> None:
    series = seasonal_series(months, seed)
    ours = Theta(True).fit(series).predict(6, [95])
    theirs = ThetaModel(series, period=12, use_test=False, method="multiplicative").fit()
    assert np.allclose(ours.mean, theirs.forecast(6).to_numpy(), rtol=1e-5)
