"""Command line: `report` writes the 14-metric report JSON (with `--by`, per-entity forecasts too),
`bench` measures the parallel speedup and projects it to 1-64 workers.

Exit 0 on success; 2 on invalid input, a horizon the history cannot backtest, or when no metric
could be forecast (the message on stderr, never a traceback); 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import NoReturn

from .dask_cluster import DaskExecutor, check_address
from .entities import parse_by
from .errors import ForecastingError
from .executors import open_backend
from .formatting import count
from .horizon import check_horizon
from .logging_setup import configure_logging
from .pipeline import (
    Analysis,
    Prepared,
    analyse,
    prepare,
    source_files_from_paths,
    with_entities,
)
from .pool import WorkerPool
from .projection import bench_projection
from .report import build_report, dumps
from .report_types import BenchResult, Comparison
from .runner import MetricResult, make_worker_pool
from .settings import (
    DEFAULT_HORIZON,
    DEFAULT_TIME_LIMIT,
    EXECUTOR_KINDS,
    MAX_TIME_LIMIT,
    MODES,
    RunSettings,
)

__all__ = ["main", "nothing_forecast"]


class _Parser(argparse.ArgumentParser):
    """Usage mistakes get one plain line and exit 2, like invalid input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see python -m forecasting --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m forecasting", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="forecast the 14 KPIs and write the report JSON")
    report.add_argument("files", nargs="+", metavar="FILE", help="one or more CSV exports")
    report.add_argument("--mode", choices=MODES, default="finance_guardian")
    report.add_argument("--horizon", type=int, default=DEFAULT_HORIZON, help="months, 1 to 12")
    report.add_argument("--level", type=int, choices=(80, 95), default=95)
    report.add_argument(
        "--executor",
        choices=EXECUTOR_KINDS,
        default="processes",
        help="dask: a local Dask cluster of --workers processes, or the one at --dask-scheduler",
    )
    report.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    report.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"stop a metric's job after this long and report it failed (1 to {MAX_TIME_LIMIT:g})",
    )
    report.add_argument("--output", help="write the JSON here instead of stdout")
    report.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run the jobs on the Dask cluster at this address (e.g. tcp://10.0.0.5:8786); "
        "implies --executor dask; needs the 'dask' extra installed",
    )
    report.add_argument(
        "--by",
        metavar="COLUMNS",
        help="also forecast revenue, expenses and profit per entity: an entity column "
        "(region, store, branch, department, entity, company) or a pair, e.g. region,department",
    )
    report.add_argument(
        "--compare",
        action="store_true",
        help="also run the jobs sequentially and in a warm pool, and put the measured speedup "
        "in the report's timing (so a shared report carries its own evidence)",
    )
    bench = sub.add_parser("bench", help="sequential vs parallel on the same jobs, as JSON")
    bench.add_argument("files", nargs="+", metavar="FILE")
    bench.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    bench.add_argument("--repeat", type=int, default=3)
    bench.add_argument("--horizon", type=int, default=DEFAULT_HORIZON)
    bench.add_argument(
        "--by", metavar="COLUMNS", help="include per-entity jobs, as report --by does"
    )
    bench.add_argument(
        "--sweep",
        action="store_true",
        help="also time 1..N of the pool's workers (N = --workers)",
    )
    bench.add_argument("--output", help="write the JSON here instead of stdout")
    return parser


def _progress(result: MetricResult, done: int, total: int) -> None:
    status = "ok" if result.status == "ok" else f"FAILED ({result.reason})"
    model = result.selection.best_name if result.selection else "-"
    print(
        f"[{done:>2}/{total}] {result.key:<22} {status:<4} {model} {result.seconds:.2f}s",
        file=sys.stderr,
        flush=True,
    )


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(text)


def nothing_forecast(analysis: Analysis) -> str | None:
    """One line when no metric could be forecast (the run then exits 2, not 0), else None."""
    if any(r.status == "ok" for r in analysis.results.values()):
        return None
    reasons = "; ".join(f"{r.metric}: {r.reason}" for r in analysis.results.values())
    return f"no metric could be forecast ({reasons[:400]})"


def _entity_lines(prepared: Prepared) -> list[str]:
    plan = prepared.entities
    if plan is None:
        return []
    by = " and ".join(plan.by)
    lines = [f"per {by}: {len(plan.series)} entities forecast, {len(plan.skipped)} not"]
    lines += [f"  {label}: not forecast, {why}" for label, why in sorted(plan.skipped.items())]
    return lines


def _report(args: argparse.Namespace) -> int:
    settings = RunSettings(
        mode=args.mode,
        horizon=args.horizon,
        level=args.level,
        executor="dask" if args.dask_scheduler else args.executor,
        workers=args.workers,
        time_limit=args.time_limit,
        dask_scheduler=args.dask_scheduler,
    )
    by = parse_by(args.by) if args.by else ()
    if args.dask_scheduler:  # a typo is told before the data is read, not after
        check_address(args.dask_scheduler)
    files = source_files_from_paths(args.files)
    prepared = prepare(files, settings.horizon, settings.level)
    check_horizon(len(prepared.data.monthly), settings.horizon)
    if by:
        prepared = with_entities(prepared, by)
    summary = prepared.data.summary
    for line in [*summary.lines(), *summary.decision_lines(), *_entity_lines(prepared)]:
        print(line, file=sys.stderr)
    with open_backend(settings) as backend:
        analysis = analyse(prepared, backend, _progress)
        comparison = _compare(prepared, settings, backend.measurable) if args.compare else None
    if (failed := nothing_forecast(analysis)) is not None:
        print(f"error: {failed}", file=sys.stderr)
        return 2
    _write(dumps(build_report(analysis, settings.mode, comparison)), args.output)
    return 0


def _compare(
    prepared: Prepared, settings: RunSettings, pool: WorkerPool | DaskExecutor | None
) -> Comparison:
    """Sequential vs parallel on the run's own warm pool or Dask cluster, or on a pool started
    for it."""
    from .bench import compare

    if isinstance(pool, DaskExecutor):
        return compare(prepared, pool, pool.size, time_limit=settings.time_limit)
    if pool is not None and pool.size >= settings.workers:
        return compare(prepared, pool, settings.workers, time_limit=settings.time_limit)
    with make_worker_pool(settings.workers) as own:
        return compare(prepared, own, settings.workers, time_limit=settings.time_limit)


def _bench(args: argparse.Namespace) -> int:
    from .bench import compare, scaling_sweep

    settings = RunSettings(horizon=args.horizon, workers=args.workers)
    by = parse_by(args.by) if args.by else ()
    prepared = prepare(source_files_from_paths(args.files), settings.horizon, 95)
    check_horizon(len(prepared.data.monthly), settings.horizon)
    if by:
        prepared = with_entities(prepared, by)

    def phase(text: str) -> None:
        print(f"bench: {text}", file=sys.stderr, flush=True)

    phase(f"starting a pool of {count(args.workers, 'worker')}")
    with make_worker_pool(args.workers) as pool:
        comparison = compare(prepared, pool, args.workers, max(1, args.repeat), on_phase=phase)
        sweep = (
            scaling_sweep(prepared, pool, range(1, pool.size + 1), phase) if args.sweep else None
        )
    result: BenchResult = {
        **comparison, "projection": bench_projection(comparison, sweep), "scaling": sweep
    }
    _write(json.dumps(result, indent=2, allow_nan=False), args.output)
    return 0


def _check_paths(args: argparse.Namespace) -> None:
    """Fail before any fitting: a missing input or an unwritable output wastes the run."""
    for path in args.files:
        if not os.path.isfile(path):
            raise ValueError(
                f"{path} is not a file" if os.path.exists(path) else f"{path} does not exist"
            )
    folder = os.path.dirname(os.path.abspath(args.output)) if args.output else None
    if folder and not os.path.isdir(folder):
        raise ValueError(f"cannot write {args.output}: the folder {folder} does not exist")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # report's progress line names each failed metric and why: its log line would repeat it.
    configure_logging(plain=True, told_elsewhere=("job",) if args.command == "report" else ())
    started = time.perf_counter()
    try:
        _check_paths(args)
        code = _report(args) if args.command == "report" else _bench(args)
    except (ForecastingError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the CLI never shows a traceback; the message is enough to act on
        print(f"error: unexpected failure ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    print(f"done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return code
