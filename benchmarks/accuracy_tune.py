"""How the shipped combination's settings were chosen: on the tuning half only, as JSON.

Reads the fits that ``accuracy.py --half tune --fits FILE`` saved (nothing is refitted), scores a
small grid of combinations (members, pruning, weighting, mean or median) by mean MASE at every
history length and horizon, then measures the band scale per level that makes the calibrated
bands hold 80% and 95% of the tuning half's test months.

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
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from accuracy_score import SINGLE, case_scores

from forecasting.combine import LENGTH_EDGES, SHIPPED, STEP_EDGES, CombineSettings, flat_scale
from forecasting.models import z_value
from forecasting.selection import assemble

MEMBER_SETS = (
    ("ets", "theta", "sarima"),
    ("ets", "theta", "sarima", "prophet"),
    ("ets", "theta"),
    ("ets", "theta", "sarima", "snaive_drift"),
    ("ets", "theta", "sarima", "snaive_drift", "prophet"),
)


def _grid() -> list[CombineSettings]:
    grid = []
    for members, prune, power, statistic in itertools.product(
        MEMBER_SETS, (1.5, 2.0, 1e9), (0.0, 1.0, 2.0), ("mean", "median")
    ):
        if statistic == "median" and power != 0.0:
            continue  # the median ignores weights
        grid.append(
            replace(
                SHIPPED, members=members, prune_ratio=prune, weight_power=power, statistic=statistic
            )
        )
    return grid


def _mase_by_config(fits: list[dict[str, Any]], settings: CombineSettings) -> dict[str, float]:
    by: dict[str, list[float]] = defaultdict(list)
    for fit in fits:
        case = fit["case"]
        sel = assemble(
            case.train,
            fit["plan"],
            fit["folds"],
            fit["finals"],
            case.horizon,
            95,
            settings=settings,
        )
        score = case_scores(
            case.train.to_numpy(),
            case.test,
            sel.forecast.mean,
            {lv: sel.forecast.bands[lv] for lv in (80, 95)},
        )
        by[f"{case.length}+{case.horizon}"].append(score["mase"])
    return {k: round(float(np.mean(v)), 4) for k, v in sorted(by.items())}


def _single_best(fits: list[dict[str, Any]]) -> dict[str, float]:
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for fit in fits:
        case = fit["case"]
        for family in SINGLE:
            out = fit["finals"].get(family)
            out = out if out is not None and out.status == "ok" else fit["finals"]["seasonal_naive"]
            h = case.horizon
            score = case_scores(
                case.train.to_numpy(),
                case.test,
                out.mean[:h],
                {lv: (lo[:h], hi[:h]) for lv, (lo, hi) in out.bands.items()},
            )
            by[(f"{case.length}+{h}", family)].append(score["mase"])
    best: dict[str, float] = {}
    for (config, _), values in by.items():
        best[config] = round(min(best.get(config, np.inf), float(np.mean(values))), 4)
    return dict(sorted(best.items()))


def _spread_errors(fits: list[dict[str, Any]], settings: CombineSettings) -> list[np.ndarray]:
    """Per test month: length bucket, step bucket, |error| / spread, spread / MASE scale."""
    rows = []
    flat = replace(settings, scale=flat_scale())
    for fit in fits:
        case = fit["case"]
        sel = assemble(
            case.train, fit["plan"], fit["folds"], fit["finals"], case.horizon, 95, settings=flat
        )
        lower, upper = sel.forecast.bands[95]
        spread = np.maximum((upper - lower) / (2 * z_value(95)), 1e-12)
        train = case.train.to_numpy()
        scale = float(np.mean(np.abs(train[12:] - train[:-12]))) or 1.0
        steps = np.arange(case.horizon)
        rows.append(
            np.column_stack(
                [
                    np.full(case.horizon, np.searchsorted(LENGTH_EDGES, case.length, side="right")),
                    np.searchsorted(STEP_EDGES, steps, side="right"),
                    np.abs(case.test - sel.forecast.mean) / spread,
                    spread / scale,
                ]
            )
        )
    return rows


def _band_scale(fits: list[dict[str, Any]], settings: CombineSettings) -> dict[str, Any]:
    """The scale per level, length bucket and step bucket that makes the bands hold 80% / 95%
    of the tuning half's test months, and the 95% interval score it gives."""
    data = np.vstack(_spread_errors(fits, settings))
    table: dict[int, list[list[float]]] = {}
    for level in (80, 95):
        table[level] = [
            [
                round(
                    float(
                        np.quantile(data[(data[:, 0] == lb) & (data[:, 1] == sb), 2], level / 100)
                    )
                    / z_value(level),
                    3,
                )
                for sb in range(3)
            ]
            for lb in range(3)
        ]
    g95 = np.array(table[95])[data[:, 0].astype(int), data[:, 1].astype(int)]
    half = z_value(95) * g95 * data[:, 3]
    error = data[:, 2] * data[:, 3]
    score = 2 * half + 40 * np.maximum(error - half, 0)
    return {"table": table, "interval_score_95": round(float(np.mean(score)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("fits", type=Path)
    parser.add_argument("--shrink", default="2,6,20,1e12")
    parser.add_argument("--bands-only", action="store_true", help="skip the combination grid")
    args = parser.parse_args()
    with args.fits.open("rb") as handle:
        fits = pickle.load(handle)
    assert all(_half(f) == "tune" for f in fits), "tune on the tuning half only"
    out: dict[str, Any] = {"cases": len(fits), "best_single_mase": _single_best(fits), "grid": []}
    for settings in [] if args.bands_only else _grid():
        mase = _mase_by_config(fits, settings)
        out["grid"].append(
            {
                "members": settings.members,
                "prune_ratio": settings.prune_ratio,
                "weight_power": settings.weight_power,
                "statistic": settings.statistic,
                "mase": mase,
                "mean_over_configs": round(float(np.mean(list(mase.values()))), 4),
            }
        )
    out["grid"].sort(key=lambda g: g["mean_over_configs"])
    out["band_scale"] = {
        shrink: _band_scale(fits, replace(SHIPPED, shrink=float(shrink)))
        for shrink in args.shrink.split(",")
    }
    print(json.dumps(out, indent=2))


def _half(fit: dict[str, Any]) -> str:
    from accuracy_data import half_of

    return half_of(fit["case"].dataset, fit["case"].name)


if __name__ == "__main__":
    main()
