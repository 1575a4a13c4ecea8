"""How far below the best single family any fixed weighting of the families can get, as JSON.

For each history length and horizon, the weights (one per family, the same for every series,
non-negative, summing to 1) with the lowest mean MASE *on the test months themselves*: a linear
programme, solved exactly. No forecast can use them (they are chosen with the answers), so they
are an upper bound on what re-weighting these families' final fits by length and horizon can
give; the shipped method weights each series by its own backtest instead, and is compared with
that bound. Reads the fits ``accuracy.py --fits FILE`` saved (nothing is refitted) and chooses
nothing for the engine, so it may be run on either half.

    .venv/bin/python benchmarks/accuracy_bound.py artifacts/fits-tune.pkl
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import numpy as np
from accuracy_data import fitted_series, load_fits
from accuracy_score import SINGLE, engine_fits
from scipy import sparse
from scipy.optimize import linprog

from forecasting.scores import mase, mase_scale
from forecasting.selection import assemble


def best_fixed_weights(
    actual: list[np.ndarray], forecasts: list[np.ndarray], scales: list[float]
) -> tuple[np.ndarray, float]:
    """The weights (rows of ``forecasts[i]`` are families, columns months) minimising the mean
    over cases of MASE, and that mean: min sum_i sum_t e_it / (scale_i h_i n) with
    e_it >= |actual_it - w . forecast_it|, w >= 0, sum w = 1."""
    k, n = forecasts[0].shape[0], len(actual)
    rows = np.concatenate([np.repeat(i, len(a)) for i, a in enumerate(actual)])
    y = np.concatenate(actual)
    f = np.concatenate(forecasts, axis=1).T  # months x families
    m = len(y)
    cost = np.concatenate([np.zeros(k), 1 / (np.array(scales)[rows] * np.array(
        [len(actual[i]) for i in rows]) * n)])
    eye = sparse.identity(m, format="csr")
    # y - f w <= e  ->  -f w - e <= -y ;  f w - y <= e  ->  f w - e <= y
    upper = sparse.vstack([sparse.hstack([-sparse.csr_matrix(f), -eye]),
                           sparse.hstack([sparse.csr_matrix(f), -eye])], format="csr")
    bound = np.concatenate([-y, y])
    equal = sparse.csr_matrix(np.concatenate([np.ones(k), np.zeros(m)])[None, :])
    result = linprog(cost, A_ub=upper, b_ub=bound, A_eq=equal, b_eq=[1.0],
                     bounds=[(0, None)] * (k + m), method="highs")
    if not result.success:
        raise RuntimeError(result.message)
    return result.x[:k], float(result.fun)


def run(fits: list[dict[str, Any]]) -> dict[str, Any]:
    cells: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for fit in fits:
        case = fit["case"]
        train, h = case.train.to_numpy(), case.horizon
        folds, finals = engine_fits(fit)
        shipped = assemble(fitted_series(fit), fit["plan"], folds, finals, h, 95).forecast.mean
        paths = []
        for family in SINGLE:
            out = fit["finals"].get(family)
            out = out if out is not None and out.status == "ok" else fit["finals"]["seasonal_naive"]
            paths.append(np.asarray(out.mean[:h], dtype=float))
        cell = cells[f"{case.length}+{h}"]
        cell["actual"].append(np.asarray(case.test, dtype=float))
        cell["forecasts"].append(np.vstack(paths))
        cell["scales"].append(mase_scale(train))
        cell["shipped"].append(mase(case.test, shipped, train))
    out: dict[str, Any] = {}
    for config in sorted(cells, key=lambda c: tuple(int(x) for x in c.split("+"))):
        cell = cells[config]
        alone = {family: float(np.mean([
            np.mean(np.abs(a - f[j])) / s
            for a, f, s in zip(cell["actual"], cell["forecasts"], cell["scales"], strict=True)
        ])) for j, family in enumerate(SINGLE)}
        best_family = min(alone, key=alone.__getitem__)
        weights, bound = best_fixed_weights(cell["actual"], cell["forecasts"], cell["scales"])
        shipped = float(np.mean(cell["shipped"]))
        out[config] = {
            "cases": len(cell["actual"]),
            "best_single": {"family": best_family, "mase": round(alone[best_family], 4)},
            "shipped_mase": round(shipped, 4),
            "shipped_below_best_pct": round(100 * (1 - shipped / alone[best_family]), 2),
            "best_fixed_weights_mase": round(bound, 4),
            "best_fixed_weights_below_best_pct": round(100 * (1 - bound / alone[best_family]), 2),
            "best_fixed_weights": {f: round(float(w), 3) for f, w in zip(SINGLE, weights,
                                                                          strict=True) if w > 5e-4},
        }
    return out


def main() -> None:
    fits = load_fits(__doc__)
    print(json.dumps({"cases": len(fits), "cells": run(fits)}, indent=2))


if __name__ == "__main__":
    main()
