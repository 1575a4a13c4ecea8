"""How the shipped combination's settings were chosen: on the tuning half only, as JSON.

Reads the fits that ``accuracy.py --half tune --fits FILE`` saved (nothing is refitted), scores
every combination of the candidate members (two to six of them) under four weightings by mean
MASE at every history length and horizon, then chooses how the bands are calibrated:

- how much a series' own backtest errors count against the benchmark's scale (``shrink``),
  chosen by *leave one dataset out*: scales measured on M1 and applied to Tourism, and the
  other way round. The choice whose coverage stays closest to 80% and 95% on the dataset it
  was not measured on is the one most likely to hold on series like neither (M3 is the
  held-out check of that);
- the band scale per level, history length and forecast month, measured on both datasets.

    .venv/bin/python benchmarks/accuracy.py --half tune --per-dataset 80 \\
        --fits artifacts/fits-tune.pkl --output artifacts/accuracy-tune.json
    .venv/bin/python benchmarks/accuracy_tune.py artifacts/fits-tune.pkl
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from accuracy_score import SINGLE, engine_fits

from forecasting.combine import LENGTH_EDGES, SHIPPED, STEP_EDGES, CombineSettings, flat_scale
from forecasting.models import z_value
from forecasting.scores import mase, mase_scale
from forecasting.selection import assemble

CANDIDATES = ("ets", "theta", "sarima", "prophet", "snaive_drift", "seasonal_naive")
WEIGHTINGS = ((1.0, "mean"), (2.0, "mean"), (0.0, "mean"), (0.0, "median"))
SHRINKS = (0.5, 1.0, 2.0, 5.0, 20.0)


def _grid() -> list[CombineSettings]:
    return [
        replace(SHIPPED, members=members, weight_power=power, statistic=statistic)
        for size in range(2, len(CANDIDATES) + 1)
        for members in itertools.combinations(CANDIDATES, size)
        for power, statistic in WEIGHTINGS
    ]


def _mase_by_config(fits: list[dict[str, Any]], settings: CombineSettings) -> dict[str, float]:
    by: dict[str, list[float]] = defaultdict(list)
    for fit in fits:
        case = fit["case"]
        folds, finals = engine_fits(fit)
        sel = assemble(
            case.train, fit["plan"], folds, finals, case.horizon, 95, settings=settings
        )
        by[f"{case.length}+{case.horizon}"].append(
            mase(case.test, sel.forecast.mean, case.train.to_numpy())
        )
    return {k: round(float(np.mean(v)), 4) for k, v in sorted(by.items())}


def _single_best(fits: list[dict[str, Any]]) -> dict[str, float]:
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for fit in fits:
        case = fit["case"]
        for family in SINGLE:
            out = fit["finals"].get(family)
            out = out if out is not None and out.status == "ok" else fit["finals"]["seasonal_naive"]
            h = case.horizon
            by[(f"{case.length}+{h}", family)].append(
                mase(case.test, out.mean[:h], case.train.to_numpy())
            )
    best: dict[str, float] = {}
    for (config, _), values in by.items():
        best[config] = round(min(best.get(config, np.inf), float(np.mean(values))), 4)
    return dict(sorted(best.items()))


def _spread_errors(fits: list[dict[str, Any]], settings: CombineSettings) -> np.ndarray:
    """Per test month: dataset (0 M1, 1 Tourism), length bucket, step bucket, |error| / spread,
    spread / MASE scale, history length, horizon."""
    rows = []
    flat = replace(settings, scale=flat_scale())
    for fit in fits:
        case = fit["case"]
        folds, finals = engine_fits(fit)
        sel = assemble(case.train, fit["plan"], folds, finals, case.horizon, 95, settings=flat)
        lower, upper = sel.forecast.bands[95]
        spread = np.maximum((upper - lower) / (2 * z_value(95)), 1e-12)
        scale = mase_scale(case.train.to_numpy())
        h = case.horizon
        rows.append(np.column_stack([
            np.full(h, 0 if case.dataset == "M1" else 1),
            np.full(h, np.searchsorted(LENGTH_EDGES, case.length, side="right")),
            np.searchsorted(STEP_EDGES, np.arange(h), side="right"),
            np.abs(case.test - sel.forecast.mean) / spread,
            spread / scale,
            np.full(h, case.length),
            np.full(h, h),
        ]))
    return np.vstack(rows)


def _scale_table(data: np.ndarray, level: int) -> list[list[float]]:
    """The band scale per length and step bucket that holds ``level``% of these months."""
    return [
        [
            round(float(np.quantile(data[(data[:, 1] == lb) & (data[:, 2] == sb), 3],
                                    level / 100)) / z_value(level), 3)
            for sb in range(3)
        ]
        for lb in range(3)
    ]


def _coverage(data: np.ndarray, table: Sequence[Sequence[float]], level: int) -> list[float]:
    """Coverage per history length and horizon of the bands ``table`` gives."""
    scale = np.asarray(table)[data[:, 1].astype(int), data[:, 2].astype(int)]
    inside = data[:, 3] <= z_value(level) * scale
    cells = sorted({(int(r[5]), int(r[6])) for r in data})
    return [
        round(float(np.mean(inside[(data[:, 5] == length) & (data[:, 6] == h)])), 3)
        for length, h in cells
    ]


def _transfer(data: np.ndarray) -> dict[str, Any]:
    """Scales measured on one dataset, coverage on the other: per level, the mean distance of
    the nine cells' coverage from the level, and their range."""
    out: dict[str, Any] = {}
    for tune, test, name in ((0, 1, "M1->Tourism"), (1, 0, "Tourism->M1")):
        for level in (80, 95):
            table = _scale_table(data[data[:, 0] == tune], level)
            cells = _coverage(data[data[:, 0] == test], table, level)
            out[f"{name} {level}"] = {
                "mean_distance": round(float(np.mean(np.abs(np.array(cells) - level / 100))), 4),
                "range": [min(cells), max(cells)],
            }
    out["mean_distance"] = round(float(np.mean([v["mean_distance"] for v in out.values()])), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("fits", type=Path)
    parser.add_argument("--bands-only", action="store_true", help="skip the combination grid")
    args = parser.parse_args()
    with args.fits.open("rb") as handle:
        fits = pickle.load(handle)
    assert all(_half(f) == "tune" for f in fits), "tune on the tuning half only"
    out: dict[str, Any] = {"cases": len(fits), "best_single_mase": _single_best(fits), "grid": []}
    for settings in [] if args.bands_only else _grid():
        mase = _mase_by_config(fits, settings)
        out["grid"].append({
            "members": settings.members,
            "weight_power": settings.weight_power,
            "statistic": settings.statistic,
            "mase": mase,
            "mean_over_configs": round(float(np.mean(list(mase.values()))), 4),
        })
    out["grid"].sort(key=lambda g: g["mean_over_configs"])
    out["bands"] = {}
    for shrink in SHRINKS:
        data = _spread_errors(fits, replace(SHIPPED, shrink=shrink))
        out["bands"][str(shrink)] = {
            "leave_one_dataset_out": _transfer(data),
            "scale": {level: _scale_table(data, level) for level in (80, 95)},
        }
    print(json.dumps(out, indent=2))


def _half(fit: dict[str, Any]) -> str:
    from accuracy_data import half_of

    return half_of(fit["case"].dataset, fit["case"].name)


if __name__ == "__main__":
    main()
