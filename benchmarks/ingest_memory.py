"""Peak memory and CPU time of ingest + KPIs on a large daily export, as JSON.

Writes a ~40 MB daily export (500,000 rows: one row per store and day, 10 columns, amounts
written as '$1,234.50') to a temporary folder, then ingests it in a fresh child process and
reports that child's peak resident memory (its own ``resource.getrusage(RUSAGE_SELF).ru_maxrss``)
and its CPU seconds, beside the same figures for a child that only imports the engine; then the
CPU seconds it takes to refuse four hostile uploads (a 12 MB quoted cell, 3 million lines, 5,000
columns, a quote never closed with a million lines after it).

    .venv/bin/python benchmarks/ingest_memory.py [--rows 500000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_CHILD = """
import resource, sys, time
started = time.process_time()
from forecasting import SourceFile, compute_kpis, ingest
imported = time.process_time()
if len(sys.argv) > 1:
    data = open(sys.argv[1], "rb").read()
    result = ingest([SourceFile("large.csv", data)])
    kpis = compute_kpis(result.monthly)
    print(len(result.monthly), result.summary.rows_used, len(kpis.values.columns))
print(imported - started, time.process_time() - imported,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_export(path: Path, rows: int, seed: int = 11) -> None:
    """One row per store and day; balances per store; US-formatted amounts."""
    rng = np.random.default_rng(seed)
    stores = 250
    days = pd.date_range("2019-01-01", periods=-(-rows // stores), freq="D")
    date = np.repeat(days.strftime("%Y-%m-%d").to_numpy(), stores)[:rows]
    number = np.tile(np.arange(stores), len(days))[:rows]
    store = np.array([f"Store {i:03d}" for i in range(stores)])[number]
    revenue = rng.gamma(4.0, 900.0, rows)
    frame = pd.DataFrame(
        {
            "Transaction Date": date,
            "Region": np.where(number % 2 == 0, "East", "West"),
            "Store": store,
            "Sales Revenue": [f"${v:,.2f}" for v in revenue],
            "Operating Costs": [f"${v:,.2f}" for v in revenue * rng.uniform(0.5, 0.7, rows)],
            "Net Profit": np.round(revenue * 0.2, 2),
            "Accounts Receivable": np.round(40_000 + rng.normal(0, 500, rows).cumsum() / 50, 2),
            "Accounts Payable": np.round(20_000 + rng.normal(0, 300, rows).cumsum() / 50, 2),
            "Inventory": np.round(30_000 + rng.normal(0, 300, rows).cumsum() / 50, 2),
            "Notes": rng.choice(["", "promo", "holiday"], rows),
        }
    )
    frame.to_csv(path, index=False)


def _child(args: list[str]) -> dict[str, float | str]:
    """Run the measurement in a fresh interpreter; it reports its own peak (RUSAGE_SELF), so
    nothing else this script started is counted."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, check=True
    )
    *info, figures = done.stdout.strip().splitlines()
    import_s, work_s, peak_kib = (float(x) for x in figures.split())
    return {
        "peak_rss_mb": round(peak_kib / 1024, 1),  # Linux reports KiB
        "cpu_s_import": round(import_s, 2),
        "cpu_s_ingest_and_kpis": round(work_s, 2),
        "output": " ".join(info),
    }


def refusal_seconds() -> dict[str, dict[str, Any]]:
    """CPU seconds to refuse hostile uploads (measured in this process, after the imports)."""
    from forecasting import DataValidationError, SourceFile, ingest

    cases = {
        "quoted_cell_12mb": b'Date,Revenue,Notes\n2024-01-31,5,"' + b"x," * 6_000_000 + b'"\n',
        "lines_3m": b"Date,Revenue\n" + b"2024-01-31,1\n" * 3_000_000,
        "columns_5000": (",".join(f"c{i}" for i in range(5000)) + "\n").encode() * 3,
        "unclosed_quote_1m_lines": b'Date,Revenue\n2024-01-31,"5\n' + b"2024-02-29,6\n" * 10**6,
    }
    out: dict[str, dict[str, Any]] = {}
    for name, data in cases.items():
        started = time.process_time()
        try:
            ingest([SourceFile(name, data)])
            said = "accepted"
        except DataValidationError as refused:
            said = str(refused)[:120]
        out[name] = {"cpu_s": round(time.process_time() - started, 3), "message": said}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--write", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_export(Path(args.write), args.rows)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.csv"
        # Written by a child that exits: this process stays small, so the children forked
        # below do not start from (and report) its memory.
        subprocess.run(
            [sys.executable, __file__, "--write", str(path), "--rows", str(args.rows)], check=True
        )
        size = path.stat().st_size
        baseline = _child([])
        large = _child([str(path)])
    print(
        json.dumps(
            {
                "rows": args.rows,
                "file_mb": round(size / 2**20, 1),
                "import_only": baseline,
                "ingest": large,
                "refusals": refusal_seconds(),
                "python": platform.python_version(),
                "cpu_count": os.cpu_count(),
                "machine": platform.machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
