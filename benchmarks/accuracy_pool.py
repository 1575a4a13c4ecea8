"""Forecast pooling on the tuning half: per series, keep only the members whose backtest error is
close to the best one's, then combine that pool (Kourentzes, Barrow & Petropoulos 2019,
"Another look at forecast selection and combination: evidence from forecast pooling").

Scored from the fits ``accuracy.py --half tune --fits FILE`` saved (nothing is refitted), against
the shipped method on the same cases: the same members (those the engine fits on the series),
the same backtest errors (each member's MASE over its fold months, per forecast-month block
1-3, 4-6, 7-12, or over the whole backtest), the same final fits. Only the point forecast is
scored (mean MASE per history length and horizon). The pool is chosen from backtest months
that do not depend on the horizon asked for, so the first forecast months stay the same at any
horizon.

The grid (every pool rule, once per series or per forecast-month block, pool weighted equally
or by 1/MASE per block as shipped):

- ``top k``: the k members with the lowest backtest MASE (k = 2, 3, 4);
- ``ratio r``: the members within r times the best member's backtest MASE (r = 1.1 ... 2);
- ``beats seasonal naive``: drop the members whose backtest MASE is above seasonal naive's;
- ``largest gap``: sort the members by backtest MASE and keep those before the largest ratio
  between neighbours (the paper's idea of a natural break in the errors, for five members).

The rule, written down before the grid was scored:

- candidates: the shipped method (no pooling) and every setting of the grid;
- eligible: no length and horizon more than 1% worse (mean MASE) than the shipped method's;
- chosen: the lowest mean MASE over the nine lengths and horizons among the eligible; settings
  within 0.001 of that lowest are a tie, which goes to the simpler setting: the fewest changes
  against the shipped method (a pool rule is one, choosing the pool per block instead of once
  per series one more, equal weights instead of 1/MASE one more), then the lower mean MASE.
  The shipped method has no change, so a pooling setting wins only if its mean MASE is more
  than 0.001 below the shipped method's with no cell more than 1% worse.

    .venv/bin/python benchmarks/accuracy_pool.py artifacts/fits-tune.pkl
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from accuracy_data import fitted_series
from accuracy_score import engine_fits

from forecasting.backtest import STEPS
from forecasting.combine import SHIPPED, ok_families, step_mase
from forecasting.scores import mase_scale, score_paths

__all__ = ["Pooling", "choose", "grid", "pooled_weights", "prepare", "score"]

@dataclass(frozen=True)
class Pooling:
    """One pooling setting: which members to keep, when, and how to weight the pool."""

    rule: str  # "none", "top", "ratio", "beats_snaive", "gap"
    value: float = 0.0  # k for "top", r for "ratio"
    per_block: bool = False  # choose the pool per forecast-month block, else once per series
    equal: bool = False  # weight the pool equally, else 1/MASE per block (as shipped)

    @property
    def label(self) -> str:
        name = {"none": "no pooling (shipped)", "top": f"top {self.value:g}",
                "ratio": f"ratio {self.value:g}", "beats_snaive": "beats seasonal naive",
                "gap": "largest gap"}[self.rule]
        if self.rule == "none":
            return name + (", equal weights" if self.equal else "")
        return (f"{name}, {'per block' if self.per_block else 'once per series'}, "
                f"{'equal weights' if self.equal else '1/MASE per block'}")

    @property
    def changes(self) -> int:
        return int(self.rule != "none") + int(self.per_block) + int(self.equal)


def grid() -> list[Pooling]:
    rules: list[tuple[str, float]] = [("top", k) for k in (2, 3, 4)]
    rules += [("ratio", r) for r in (1.1, 1.2, 1.3, 1.5, 1.75, 2.0)]
    rules += [("beats_snaive", 0.0), ("gap", 0.0)]
    out = [Pooling("none"), Pooling("none", equal=True)]
    for rule, value in rules:
        for per_block in (False, True):
            for equal in (False, True):
                out.append(Pooling(rule, value, per_block, equal))
    return out


@dataclass(frozen=True)
class CaseData:
    """What a case's point forecast is made of: per member, its backtest MASE over the whole
    backtest and per forecast month (its block's), and its final forecast."""

    config: str
    members: tuple[str, ...]
    whole: np.ndarray  # (members,)
    by_step: np.ndarray  # (members, STEPS)
    finals: np.ndarray  # (members, STEPS)
    test: np.ndarray
    scale: float


def prepare(fits: list[dict[str, Any]]) -> list[CaseData]:
    out = []
    for fit in fits:
        case, plan = fit["case"], fit["plan"]
        folds, finals = engine_fits(fit)
        ok = ok_families(folds, finals)
        members = tuple(f for f in SHIPPED.members if f in ok)
        y = fitted_series(fit).to_numpy(dtype="float64")
        whole = np.array([score_paths(y, plan.origins, [o.mean for o in folds[f]])
                          for f in members])
        by_step = np.array([step_mase(y, plan, folds[f], w)
                            for f, w in zip(members, whole, strict=True)])
        out.append(CaseData(f"{case.length}+{case.horizon}", members, whole, by_step,
                            np.array([finals[f].mean for f in members]),
                            np.asarray(case.test, dtype="float64"),
                            mase_scale(case.train.to_numpy(dtype="float64"))))
    return out


def _keep(err: np.ndarray, members: Sequence[str], setting: Pooling) -> np.ndarray:
    """Which members (rows) are in the pool, judged on ``err`` (members x columns)."""
    best = err.min(axis=0)
    if setting.rule == "none":
        return np.ones_like(err, dtype=bool)
    if setting.rule == "top":
        ranks = np.argsort(np.argsort(err, axis=0, kind="stable"), axis=0, kind="stable")
        return ranks < int(setting.value)
    if setting.rule == "ratio":
        return err <= setting.value * best + 1e-12
    if setting.rule == "beats_snaive":
        if "seasonal_naive" not in members:
            return np.ones_like(err, dtype=bool)
        return err <= err[list(members).index("seasonal_naive")] + 1e-12
    ordered = np.sort(err, axis=0)  # "gap": keep those below the largest jump
    jumps = ordered[1:] / np.maximum(ordered[:-1], 1e-12)
    if len(jumps) == 0:
        return np.ones_like(err, dtype=bool)
    cut = ordered[np.argmax(jumps, axis=0), np.arange(err.shape[1])]
    return err <= cut + 1e-12


def pooled_weights(data: CaseData, setting: Pooling) -> np.ndarray:
    """Weights (members x STEPS), summing to 1 at each forecast month."""
    if setting.per_block:
        keep = _keep(data.by_step, data.members, setting)
    else:
        keep = np.repeat(_keep(data.whole[:, None], data.members, setting), STEPS, axis=1)
    raw = np.ones_like(data.by_step) if setting.equal else 1 / np.maximum(data.by_step, 1e-6)
    raw = np.where(keep, raw, 0.0)
    weights: np.ndarray = raw / raw.sum(axis=0)
    return weights


def score(cases: list[CaseData], setting: Pooling) -> dict[str, float]:
    by: dict[str, list[float]] = defaultdict(list)
    for data in cases:
        h = len(data.test)
        mean = np.sum(pooled_weights(data, setting) * data.finals, axis=0)[:h]
        by[data.config].append(float(np.mean(np.abs(data.test - mean))) / data.scale)
    return {k: round(float(np.mean(v)), 4) for k, v in sorted(by.items(), key=_config_key)}


def _config_key(item: tuple[str, Any]) -> tuple[int, int]:
    length, h = item[0].split("+")
    return int(length), int(h)


def choose(rows: list[dict[str, Any]], tie: float = 0.001,
           worst_allowed: float = 0.01) -> dict[str, Any]:
    """The rule in the module's docstring, on the scored rows (the first row is the shipped
    method)."""
    shipped = rows[0]["mase"]

    def worst(row: dict[str, Any]) -> float:
        return max(row["mase"][c] / shipped[c] - 1 for c in shipped)

    eligible = [r for r in rows if worst(r) <= worst_allowed]
    lowest = min(r["mean_over_configs"] for r in eligible)
    tied = [r for r in eligible if r["mean_over_configs"] <= lowest + tie]
    best = min(tied, key=lambda r: (r["changes"], r["mean_over_configs"]))
    return {**best, "worst_cell_change": round(worst(best), 4)}


def run(fits: list[dict[str, Any]]) -> dict[str, Any]:
    cases = prepare(fits)
    rows = []
    for setting in grid():
        by = score(cases, setting)
        rows.append({"setting": setting.label, "rule": setting.rule, "value": setting.value,
                     "per_block": setting.per_block, "equal": setting.equal,
                     "changes": setting.changes, "mase": by,
                     "mean_over_configs": round(float(np.mean(list(by.values()))), 4)})
    chosen = choose(rows)
    shipped = rows[0]
    for row in rows:
        row["vs_shipped"] = {c: round(row["mase"][c] / shipped["mase"][c] - 1, 4)
                             for c in shipped["mase"]}
    ranked = sorted(rows, key=lambda r: r["mean_over_configs"])
    return {"cases": len(cases), "shipped": shipped, "chosen": chosen["setting"],
            "pooling_wins": chosen["rule"] != "none", "grid": ranked,
            "best_on_backtest": _best_shares(cases)}


def _best_shares(cases: list[CaseData]) -> dict[str, dict[str, float]]:
    """Per history length, the share of cases in which each member has the lowest MASE over
    the whole backtest (what a pool is built around)."""
    wins: dict[str, list[str]] = defaultdict(list)
    for data in cases:
        wins[data.config.split("+")[0]].append(data.members[int(np.argmin(data.whole))])
    return {length: {f: round(names.count(f) / len(names), 3) for f in sorted(set(names))}
            for length, names in sorted(wins.items())}


def main() -> None:
    from accuracy_data import half_of, load_fits

    fits = load_fits(__doc__)

    assert all(half_of(f["case"].dataset, f["case"].name) == "tune" for f in fits), (
        "tune on the tuning half only")
    print(json.dumps(run(fits), indent=2))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
