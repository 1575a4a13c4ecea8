"""The shipped forecast: calibrated bands, the same first months at any horizon, short histories
that grow, and failures and warnings a finance user never has to read as model internals."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from members import member

from forecasting import prepare, source_files_from_paths
from forecasting.backtest import plain_reason, plan_backtest
from forecasting.combine import SHIPPED, combine_outputs
from forecasting.selection import select_and_forecast

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _simulated(seed: int, months: int, noise: float) -> tuple[pd.Series, np.ndarray]:
    """A trend, a yearly cycle and Gaussian noise of a known size; the next 12 months too."""
    rng = np.random.default_rng(seed)
    t = np.arange(months + 12)
    level = rng.uniform(500, 5000)
    values = (level * (1 + rng.uniform(-0.005, 0.01) * t)
              + level * rng.uniform(0.05, 0.2) * np.sin(2 * np.pi * (t + seed) / 12)
              + rng.normal(0, noise * level, len(t)))
    index = pd.date_range("2019-01-01", periods=months, freq="MS")
    return pd.Series(values[:months], index=index), values[months:]


def test_calibrated_95_band_covers_95_percent_of_a_series_with_known_noise() -> None:
    inside80, inside95 = [], []
    for seed in range(20):
        history, future = _simulated(seed, months=48, noise=0.03)
        sel = select_and_forecast(history, horizon=12, level=95)
        for level, inside in ((80, inside80), (95, inside95)):
            lower, upper = sel.forecast.bands[level]
            inside.extend((future >= lower) & (future <= upper))
    # 240 future months: a band that means what it says holds 90-99% of them at 95%.
    assert 0.90 <= np.mean(inside95) <= 0.99
    assert 0.70 <= np.mean(inside80) <= 0.90


def test_a_level_shift_in_the_backtest_does_not_stretch_the_band_to_many_times_the_level() -> None:
    """Flat at 100k for two years, then at 150k for a year (a price rise): the backtest folds
    straddle the step and miss it by 50 times the noise. The band widens, but stays a band of
    this business, not "between $0 and $1.3M"."""
    rng = np.random.default_rng(5)
    values = np.r_[np.full(24, 100_000.0), np.full(12, 150_000.0)] * (1 + rng.normal(0, 0.01, 36))
    history = pd.Series(values, index=pd.date_range("2022-01-01", periods=36, freq="MS"))
    sel = select_and_forecast(history, horizon=3, level=95)
    lower, upper = sel.forecast.bands[95]

    assert np.all(upper < 2 * 150_000)
    assert np.all(lower > 0)


@pytest.mark.parametrize(("months", "near_sep", "far_sep"), [(48, ",", ";"), (30, ";", ",")])
def test_each_forecast_month_leans_on_the_model_that_was_right_that_far_ahead(
        months: int, near_sep: str, far_sep: str) -> None:
    # One model was close a month or three ahead in the backtest and far off a year ahead; the
    # other the opposite. Next month's forecast follows the first, the month a year out the
    # second: one weight per model for the whole backtest would blend both the same everywhere.
    rng = np.random.default_rng(months)
    y = 1000 + 5.0 * np.arange(months) + rng.normal(0, 20, months)
    plan = plan_backtest(months)
    steps = np.arange(12)
    near_miss = np.where(steps < 3, 0.2, np.where(steps < 6, 1.0, 2.0))
    far_miss = np.where(steps < 3, 2.0, np.where(steps < 6, 1.0, 0.2))
    near, far = f"near{near_sep}", f"far{far_sep}"  # names the engine never gave: no special case
    folds, finals = {}, {}
    for name, miss, level in ((near, near_miss, 1500.0), (far, far_miss, 2500.0)):
        folds[name], finals[name] = member(name, y, plan.origins, miss, level)

    combined, _, weights = combine_outputs(y, plan, folds, finals, [near, far], SHIPPED)

    # 1/0.2 against 1/2: ten elevenths of the month's forecast from the model right that far out.
    assert combined.mean[0] == pytest.approx(1500 + 1000 / 11)
    assert combined.mean[11] == pytest.approx(2500 - 1000 / 11)
    assert sum(weights.values()) == pytest.approx(1.0)


def _revenue(path: str) -> pd.Series:
    return prepare(source_files_from_paths([path]), 3, 95).kpis.values["revenue"]


@pytest.mark.parametrize("source", ["seed", "company", "simulated-30", "simulated-60"])
def test_first_forecast_month_does_not_depend_on_the_horizon(source: str, seed_dir,
                                                             company_csv) -> None:
    if source == "seed":
        series = _revenue(str(seed_dir / "sample_financial_data.csv"))
    elif source == "company":
        series = _revenue(str(company_csv))
    else:
        series = _simulated(3, int(source.split("-")[1]), noise=0.05)[0]
    short = select_and_forecast(series, horizon=3, level=95)
    long = select_and_forecast(series, horizon=12, level=95)
    lower, upper = short.forecast.bands[95]
    tenth = 0.1 * (upper[0] - lower[0])
    assert abs(short.forecast.mean[0] - long.forecast.mean[0]) <= tenth
    assert short.best_name == long.best_name
    assert len(long.forecast.mean) == 12


def test_a_growing_companys_two_year_history_is_forecast_to_grow(seed_dir) -> None:
    # The seed sample: 24 months, revenue up 13.7% on the year. Its forecast must carry that
    # growth into the coming months, not repeat last year's months.
    revenue = _revenue(str(seed_dir / "sample_financial_data.csv"))
    assert revenue.iloc[-12:].sum() / revenue.iloc[:12].sum() - 1 == pytest.approx(0.137, abs=0.01)
    sel = select_and_forecast(revenue, horizon=3, level=95)
    assert sel.seasonal
    same_months_last_year = revenue.iloc[-12:-9].to_numpy()
    assert sel.forecast.mean.sum() / same_months_last_year.sum() - 1 > 0.05


def test_model_internals_never_stand_as_a_failure_reason() -> None:
    try:
        np.dot(np.ones((2, 10)), np.ones((0, 1)))
    except ValueError as exc:
        internal = exc
    reason = plain_reason(internal)
    assert "shapes" not in reason and "aligned" not in reason
    assert reason == "the model could not be fitted to this series (its numbers did not converge)"
    # A balance that never moves: the families that cannot be fitted say so in words.
    flat = pd.Series(5_000.0, index=pd.date_range("2020-01-01", periods=20, freq="MS"))
    failed = [s for s in select_and_forecast(flat, 3, 95).scores if s.status == "failed"]
    assert failed
    for score in failed:
        assert "Error" not in score.reason and "(" not in score.reason.split("this series")[0]


def test_fitting_awkward_series_prints_nothing_on_stderr() -> None:
    # Short, flat, zero-heavy and exploding series make statsmodels and numpy warn; none of it
    # may reach the terminal of the CLI or the server.
    script = textwrap.dedent("""
        import numpy as np, pandas as pd, scipy.linalg
        from threadpoolctl import threadpool_limits
        from forecasting.logging_setup import configure_logging
        from forecasting.selection import select_and_forecast
        configure_logging()
        threadpool_limits(1)  # as in the engine's workers
        index = pd.date_range("2020-01-01", periods=30, freq="MS")
        rng = np.random.default_rng(0)
        for values in (np.full(30, 7.0), np.r_[np.zeros(20), rng.normal(0, 1, 10)],
                       np.exp(np.arange(30) / 3), rng.normal(0, 1, 30).cumsum()):
            for n in (14, 30):
                select_and_forecast(pd.Series(values[:n], index=index[:n]), 3, 95)
        print("done")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "done"
    assert run.stderr == ""
