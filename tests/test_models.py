"""Each model family on a clearly seasonal monthly series: finite, ordered bands, seasonal shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import ModelError
from forecasting.models import SINGLE_FAMILIES, Forecast, build_candidates, check_forecast
from forecasting.models.baselines import Drift, SeasonalNaive, SeasonalNaiveDrift

HOLDOUT = 12
LEVELS = (80, 95)
SEASONAL_FAMILIES = ("prophet", "ets", "sarima", "theta", "seasonal_naive", "snaive_drift")

pytestmark = pytest.mark.usefixtures("single_blas_thread")


@pytest.fixture(scope="module")
def train(seasonal_48: pd.Series) -> pd.Series:
    return seasonal_48.iloc[:-HOLDOUT]


@pytest.fixture(scope="module")
def holdout(seasonal_48: pd.Series) -> pd.Series:
    return seasonal_48.iloc[-HOLDOUT:]


@pytest.fixture(scope="module")
def forecasts(train: pd.Series) -> dict[str, Forecast]:
    """Every family fitted once on 36 months and asked for the next 12."""
    candidates = build_candidates(seasonal=True, train_length=len(train))
    assert set(candidates) == set(SINGLE_FAMILIES)
    return {family: model.fit(train).predict(HOLDOUT, LEVELS)
            for family, model in candidates.items()}


FAMILY_PARAMS = ["prophet", "ets", "sarima", "theta", "seasonal_naive", "drift", "snaive_drift"]


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_forecast_is_finite_with_one_value_per_month(forecasts, family: str) -> None:
    forecast = forecasts[family]
    assert forecast.mean.shape == (HOLDOUT,)
    assert np.isfinite(forecast.mean).all()
    for lower, upper in forecast.bands.values():
        assert np.isfinite(lower).all() and np.isfinite(upper).all()


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_bands_surround_the_forecast(forecasts, family: str) -> None:
    forecast = forecasts[family]
    assert set(forecast.bands) == set(LEVELS)
    for lower, upper in forecast.bands.values():
        assert (lower <= forecast.mean).all()
        assert (forecast.mean <= upper).all()


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_95_percent_band_is_wider_than_80(forecasts, family: str) -> None:
    lo80, hi80 = forecasts[family].bands[80]
    lo95, hi95 = forecasts[family].bands[95]
    assert ((hi95 - lo95) > (hi80 - lo80)).all()
    assert (lo95 <= lo80).all() and (hi95 >= hi80).all()


@pytest.mark.parametrize("family", SEASONAL_FAMILIES)
def test_seasonal_family_tracks_the_yearly_cycle(forecasts, train, holdout, family: str) -> None:
    flat_mae = float(np.mean(np.abs(holdout.to_numpy() - train.mean())))
    mae = float(np.mean(np.abs(holdout.to_numpy() - forecasts[family].mean)))
    assert mae < 0.5 * flat_mae
    # The forecast peaks and troughs in the same months as the holdout does.
    assert np.corrcoef(forecasts[family].mean, holdout.to_numpy())[0, 1] > 0.9


def test_drift_ignores_the_season_and_follows_the_trend(forecasts, train) -> None:
    mean = forecasts["drift"].mean
    slope = (train.iloc[-1] - train.iloc[0]) / (len(train) - 1)
    assert np.diff(mean) == pytest.approx(np.full(HOLDOUT - 1, slope))
    assert mean[0] == pytest.approx(train.iloc[-1] + slope)


def test_seasonal_naive_repeats_last_year(forecasts, train) -> None:
    assert forecasts["seasonal_naive"].mean.tolist() == train.iloc[-12:].tolist()


def test_bands_widen_further_ahead(forecasts) -> None:
    for family in ("ets", "sarima", "drift", "theta"):
        lower, upper = forecasts[family].bands[95]
        assert upper[-1] - lower[-1] > upper[0] - lower[0], family


def test_short_histories_get_no_seasonal_naive() -> None:
    assert "seasonal_naive" not in build_candidates(seasonal=False, train_length=11)
    assert "seasonal_naive" in build_candidates(seasonal=False, train_length=12)
    assert "snaive_drift" in build_candidates(seasonal=False, train_length=12)


def test_seasonal_naive_with_drift_adds_a_year_of_growth() -> None:
    # Two years of a company growing 10% a year with a January dip: next January is this
    # January plus the average year-over-year change, not this January again.
    rng = np.random.default_rng(11)
    season = np.tile([80.0, 90, 100, 100, 105, 110, 100, 95, 100, 110, 120, 130], 2)
    values = season * np.repeat([1.0, 1.1], 12) + rng.normal(0, 1, 24)
    y = pd.Series(values, index=pd.date_range("2023-01-01", periods=24, freq="MS"))
    forecast = SeasonalNaiveDrift().fit(y).predict(3, LEVELS)
    yearly_change = float(np.mean(values[12:] - values[:12]))
    assert forecast.mean == pytest.approx(values[12:15] + yearly_change)
    assert (forecast.mean > values[12:15]).all()


def _forecast(mean: list[float], lower: list[float], upper: list[float]) -> Forecast:
    lo, hi = np.array(lower), np.array(upper)
    return Forecast(np.array(mean), {80: (lo, hi), 95: (lo - 1, hi + 1)})


def test_a_band_that_misses_its_own_forecast_is_a_failure_not_widened(seasonal_48) -> None:
    # A broken interval (the point above the upper bound) must not be silently widened to
    # surround the point: the candidate fails with a reason a person reads.
    broken = _forecast([100.0, 110.0], [90.0, 90.0], [105.0, 105.0])
    with pytest.raises(ModelError, match="band does not contain its own forecast"):
        check_forecast(broken, seasonal_48, 2)
    good = _forecast([100.0, 110.0], [90.0, 95.0], [105.0, 120.0])
    checked = check_forecast(good, seasonal_48, 2)
    assert checked.bands[80][0].tolist() == [90.0, 95.0]
    assert checked.bands[80][1].tolist() == [105.0, 120.0]


@pytest.mark.parametrize(("model", "months", "message"), [
    (SeasonalNaive(), 11, "seasonal naive needs 12 months"),
    (Drift(), 2, "drift needs 3 months"),
    (SeasonalNaiveDrift(), 11, "seasonal naive with drift needs 12 months"),
])
def test_baseline_refuses_a_too_short_history(seasonal_48, model, months: int,
                                              message: str) -> None:
    with pytest.raises(ModelError, match=message):
        model.fit(seasonal_48.iloc[:months])


def test_ets_damps_a_trend_instead_of_carrying_it_on_for_a_year() -> None:
    # Three years of a company adding about 10 a month: ETS's year ahead still grows, but its
    # damped trend adds less than a straight one, which adds the same 10 every month (110 from
    # the first forecast month to the twelfth) and overshoots a business that slows down.
    rng = np.random.default_rng(0)
    months = np.arange(36)
    values = 1000 + 10 * months + rng.normal(0, 5, 36)
    y = pd.Series(values, index=pd.date_range("2022-01-01", periods=36, freq="MS"))
    model = build_candidates(seasonal=True, train_length=36)["ets"].fit(y)
    mean = model.predict(12, LEVELS).mean
    assert "damped" in model.name
    assert mean[0] > values[-1]
    assert 0 < mean[-1] - mean[0] < 100
