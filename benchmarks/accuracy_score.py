"""Scores for the accuracy benchmark: per case and method, then means per length and horizon."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from accuracy_data import fitted_series

from forecasting.combine import SHIPPED, CombineSettings, flat_scale
from forecasting.fits import candidate_families
from forecasting.scores import coverage, mase, mase_scale, smape
from forecasting.selection import assemble

__all__ = ["SINGLE", "case_scores", "engine_fits", "evaluate", "markdown", "summarise"]

SINGLE = ("ets", "theta", "sarima", "prophet", "seasonal_naive", "snaive_drift", "drift")
# The shipped combination with its members' own spread averaged, before any calibration.
UNCALIBRATED = replace(SHIPPED, shrink=1e12, scale=flat_scale())


def case_scores(
    train: np.ndarray,
    test: np.ndarray,
    mean: np.ndarray,
    bands: dict[int, tuple[np.ndarray, np.ndarray]],
) -> dict[str, float]:
    """MASE, sMAPE, coverage of the 80% and 95% bands (the engine's own measures, as the model
    details show them), and the 95% interval score scaled like MASE."""
    scale = mase_scale(train)
    out = {"mase": mase(test, mean, train), "smape": float(np.mean(smape(test, mean)))}
    for level, (lower, upper) in bands.items():
        out[f"coverage_{level}"] = coverage(test, lower, upper)
    lower, upper = bands[95]
    alpha = 0.05
    score = (upper - lower) + 2 / alpha * (
        np.maximum(lower - test, 0) + np.maximum(test - upper, 0)
    )
    out["interval_score_95"] = float(np.mean(score)) / scale
    return out


def engine_fits(fit: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The folds and final fits of the families the engine fits on this case's series."""
    families = candidate_families(fit["plan"])
    return (
        {f: v for f, v in fit["folds"].items() if f in families},
        {f: v for f, v in fit["finals"].items() if f in families},
    )


def _assembled(fit: dict[str, Any], method: str, settings: CombineSettings) -> tuple[Any, float]:
    case = fit["case"]
    folds, finals = engine_fits(fit)
    started = time.process_time()
    sel = assemble(
        fitted_series(fit), fit["plan"], folds, finals, case.horizon, 95, method=method,  # type: ignore[arg-type]
        settings=settings,
    )
    return sel, time.process_time() - started


def evaluate(
    fit: dict[str, Any], shipped_only: bool = False, settings: CombineSettings = SHIPPED
) -> list[dict[str, Any]]:
    """One row per method for one case: every family alone (its final fit, its own bands; a
    family that failed falls back to seasonal naive, counted), the shipped combination, the
    choice by backtest, and the combination before calibration."""
    case, finals = fit["case"], fit["finals"]
    train, h = case.train.to_numpy(), case.horizon
    base = {"dataset": case.dataset, "name": case.name, "length": case.length, "horizon": h}
    engine_folds, engine_finals = engine_fits(fit)
    fit_cpu = sum(o.seconds for outs in engine_folds.values() for o in outs) + sum(
        o.seconds for o in engine_finals.values()
    )
    rows = []
    methods = [("shipped", "combination", settings)]
    if not shipped_only:
        methods += [("selection", "best", settings), ("uncalibrated", "combination", UNCALIBRATED)]
    for label, method, chosen in methods:
        sel, cpu = _assembled(fit, method, chosen)
        bands = {lv: sel.forecast.bands[lv] for lv in (80, 95)}
        rows.append(
            {
                **base,
                "method": label,
                "cpu_s": fit_cpu + cpu,
                "failed": 0,
                **case_scores(train, case.test, sel.forecast.mean, bands),
            }
        )
    if shipped_only:
        return rows
    for family in SINGLE:
        out = finals.get(family)
        failed = out is None or out.status != "ok"
        used = finals["seasonal_naive"] if failed else out
        bands = {lv: (lo[:h], hi[:h]) for lv, (lo, hi) in used.bands.items()}
        rows.append(
            {
                **base,
                "method": family,
                "cpu_s": used.seconds,
                "failed": int(failed),
                **case_scores(train, case.test, used.mean[:h], bands),
            }
        )
    return rows


_FIELDS = ("mase", "smape", "coverage_80", "coverage_95", "interval_score_95", "cpu_s")


def _table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["method"], row["length"], row["horizon"])].append(row)
    table = []
    for (method, length, horizon), group in sorted(groups.items()):
        entry: dict[str, Any] = {
            "method": method,
            "length": length,
            "horizon": horizon,
            "series": len(group),
            "failed": sum(r["failed"] for r in group),
        }
        for name in _FIELDS:
            values = np.array([r[name] for r in group], dtype="float64")
            entry[f"{name}_mean"] = round(float(np.mean(values)), 4)
            if name == "mase":
                entry["mase_median"] = round(float(np.median(values)), 4)
        table.append(entry)
    return table


def _goals(
    table: list[dict[str, Any]],
    prophet: list[dict[str, Any]],
    lengths: Sequence[int],
    horizons: Sequence[int],
) -> list[dict[str, Any]]:
    goals = []
    for length in lengths:
        for horizon in horizons:
            here = {
                t["method"]: t for t in table if (t["length"], t["horizon"]) == (length, horizon)
            }
            if "shipped" not in here:
                continue
            singles = {m: here[m]["mase_mean"] for m in SINGLE if m in here}
            if not singles:  # the held-out run scores the shipped method alone
                continue
            best = min(singles, key=lambda m: singles[m])
            shipped = here["shipped"]["mase_mean"]
            entry = {
                "length": length,
                "horizon": horizon,
                "shipped_mase": shipped,
                "best_single": best,
                "best_single_mase": singles[best],
                "below_best_single_pct": round(100 * (1 - shipped / singles[best]), 1),
            }
            entry.update(_prophet_goal(prophet, length, horizon))
            goals.append(entry)
    return goals


def _prophet_goal(prophet: list[dict[str, Any]], length: int, horizon: int) -> dict[str, Any]:
    here = [p for p in prophet if (p["case"].length, p["case"].horizon) == (length, horizon)]
    ok = [p for p in here if p["status"] == "ok"]
    if not ok:
        return {}
    mase = [p["mase"] for p in ok]
    shipped = [p["shipped_mase"] for p in ok]
    return {
        "prophet_series": len(here),
        "prophet_timed_out_or_failed": len(here) - len(ok),
        "prophet_mase": round(float(np.mean(mase)), 4),
        "shipped_mase_same_series": round(float(np.mean(shipped)), 4),
        "below_prophet_pct": round(100 * (1 - np.mean(shipped) / np.mean(mase)), 1),
    }


def summarise(
    rows: list[dict[str, Any]],
    prophet: list[dict[str, Any]],
    fits: list[Any],
    lengths: Sequence[int],
    horizons: Sequence[int],
) -> dict[str, Any]:
    shipped = {
        (r["dataset"], r["name"], r["length"], r["horizon"]): r
        for r in rows
        if r["method"] == "shipped"
    }
    prophet_rows = []
    for p in prophet:
        case = p["case"]
        key = (case.dataset, case.name, case.length, case.horizon)
        if p["status"] == "ok":
            scores = case_scores(case.train.to_numpy(), case.test, p["mean"], p["bands"])
            p.update(mase=scores["mase"], shipped_mase=shipped[key]["mase"])
            prophet_rows.append(
                {
                    "dataset": key[0],
                    "name": key[1],
                    "length": key[2],
                    "horizon": key[3],
                    "method": "prophet_as_replaced",
                    "failed": 0,
                    **scores,
                    "cpu_s": p["seconds"],
                }
            )
    table = _table(rows + prophet_rows)
    return {
        "prophet_as_replaced": {
            "series": len({(p["case"].dataset, p["case"].name) for p in prophet}),
            "fits": len(prophet),
            "timed_out_or_failed": sum(p["status"] != "ok" for p in prophet),
        },
        "results": table,
        "goals": _goals(table, prophet, lengths, horizons),
    }


_ORDER = ("shipped", "selection", "uncalibrated", *SINGLE, "prophet_as_replaced")


def markdown(out: dict[str, Any]) -> str:
    """The JSON's results as markdown: one table per history length and horizon, and the goals."""
    lines = []
    configs = sorted({(r["length"], r["horizon"]) for r in out["results"]})
    for length, horizon in configs:
        lines += [
            f"\n**{length} months of history, horizon {horizon}**\n",
            "| method | series | mean MASE | median MASE | sMAPE % | 80% cover | "
            "95% cover | interval score 95 | CPU s/series |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        rows = {
            r["method"]: r
            for r in out["results"]
            if (r["length"], r["horizon"]) == (length, horizon)
        }
        for method in _ORDER:
            if method in rows:
                r = rows[method]
                lines.append(
                    f"| {method} | {r['series']} | {r['mase_mean']:.3f} | {r['mase_median']:.3f}"
                    f" | {r['smape_mean']:.2f} | {r['coverage_80_mean']:.1%} | "
                    f"{r['coverage_95_mean']:.1%} | {r['interval_score_95_mean']:.2f} | "
                    f"{r['cpu_s_mean']:.3f} |"
                )
    lines += _coverage_table(out, configs)
    if out.get("goals"):
        lines += [
            "\n**Goals** (mean MASE; Prophet-as-replaced on its subsample only)\n",
            "| history | h | shipped | best single | below best single | Prophet-as-replaced"
            " (same series: shipped) | below Prophet-as-replaced | Prophet fits timed out |",
            "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |",
        ]
        for g in out["goals"]:
            prophet, below, timed = "n/a", "n/a", "n/a"
            if "prophet_mase" in g:
                prophet = f"{g['prophet_mase']:.3f} ({g['shipped_mase_same_series']:.3f})"
                below = f"{g['below_prophet_pct']}%"
                timed = f"{g['prophet_timed_out_or_failed']} of {g['prophet_series']}"
            lines.append(
                f"| {g['length']} | {g['horizon']} | {g['shipped_mase']:.3f} | "
                f"{g['best_single']} {g['best_single_mase']:.3f} | {g['below_best_single_pct']}% | "
                f"{prophet} | {below} | {timed} |"
            )
    return "\n".join(lines) + "\n"


def _coverage_table(out: dict[str, Any], configs: list[tuple[int, int]]) -> list[str]:
    """Band coverage before calibration (each family's own bands, the combination's averaged
    spread) and after (the shipped bands), 80% / 95%."""
    methods = [m for m in ("ets", "theta", "sarima", "prophet", "uncalibrated", "shipped")
               if any(r["method"] == m for r in out["results"])]
    if "shipped" not in methods or len(methods) == 1:
        return []
    lines = ["\n**Band coverage, 80% / 95%: before calibration (each family's own bands, the "
             "combination's averaged spread) and after (shipped)**\n",
             "| history | h | " + " | ".join(methods) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in methods) + " |"]
    for length, horizon in configs:
        rows = {r["method"]: r for r in out["results"]
                if (r["length"], r["horizon"]) == (length, horizon)}
        cells = [f"{rows[m]['coverage_80_mean']:.0%} / {rows[m]['coverage_95_mean']:.0%}"
                 for m in methods]
        lines.append(f"| {length} | {horizon} | " + " | ".join(cells) + " |")
    return lines
