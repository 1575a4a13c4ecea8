"""A series' fits as pieces that run anywhere: which families on which windows, their expected
cost, and the module-level function that fits one piece in a worker.

A piece is one family's backtest (estimated on the earliest fold, re-applied at the later
origins) or one of its folds (Prophet: nothing to re-apply, each fold is its own fit), or its
final fit; the cheap families (SARIMA, Theta, the baselines: a few ms together) share a piece.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from .backtest import BacktestPlan, FitOutput, cpu_seconds, fit_backtest, fit_final
from .models import SINGLE_FAMILIES, build_candidates

__all__ = [
    "FIT_COST",
    "PROPHET_BELOW_MONTHS",
    "FitBatch",
    "FitPiece",
    "candidate_families",
    "collect",
    "family_seconds",
    "fit_piece",
    "plan_pieces",
    "run_pieces_here",
]

# CPU seconds of one estimation of a family on a 60-month series (one BLAS thread, 2-core
# development machine, ``benchmarks/model_fit_times.py``): the order of a run's pieces before
# any of them has been timed. Re-applying estimated parameters costs about a fifth.
FIT_COST: Final[dict[str, float]] = {
    "prophet": 0.028,
    "ets": 0.008,
    "sarima": 0.004,
    "theta": 0.001,
    "seasonal_naive": 0.0003,
    "snaive_drift": 0.0003,
    "drift": 0.0003,
}
_ALONE: Final = ("prophet", "ets")  # families worth a piece of their own
_NO_REAPPLY: Final = ("prophet",)  # each fold a separate fit: one piece per fold
# Prophet earns its place in the combination on short histories (on the tuning half: 2.4%
# lower MASE at 24 months, 0.9% at 36) but not from 60 months on (better at 3 months ahead,
# worse at 6 and 12, 0.1% on average), where it would be two thirds of a series' CPU.
PROPHET_BELOW_MONTHS: Final = 60


@dataclass(frozen=True)
class FitPiece:
    """Families fitted on a series' backtest windows (``origins``), or on all of it (final)."""

    families: tuple[str, ...]
    origins: tuple[int, ...] = ()

    @property
    def final(self) -> bool:
        return not self.origins

    @property
    def label(self) -> str:
        """Short and unique within a series: ``ets@backtest``, ``prophet@48``, ``light@final``."""
        name = self.families[0] if len(self.families) == 1 else "light"
        where = "final" if self.final else (
            str(self.origins[0]) if len(self.origins) == 1 else "backtest")
        return f"{name}@{where}"

    def cost(self, months: int) -> float:
        """Expected CPU seconds: estimations at full cost, re-applied folds at a fifth, scaled
        by the length of the history (the fits are roughly linear in it)."""
        windows = 1.0 if self.final or len(self.origins) == 1 else 1 + 0.2 * (len(self.origins) - 1)
        return sum(FIT_COST.get(f, 0.01) for f in self.families) * windows * max(months, 12) / 60


@dataclass(frozen=True)
class FitBatch:
    """What a piece gives back: its outputs, and where, when and at what CPU cost it ran."""

    outputs: tuple[FitOutput, ...]
    worker: int
    started: float
    finished: float
    cpu_seconds: float
    host: str = ""  # the machine it ran on (a Dask cluster spans several)


def candidate_families(plan: BacktestPlan) -> list[str]:
    """The families fitted on a series: every one its earliest fold is long enough for,
    Prophet only on histories under ``PROPHET_BELOW_MONTHS``."""
    return [
        f
        for f in build_candidates(True, plan.origins[0])
        if f != "prophet" or plan.n < PROPHET_BELOW_MONTHS
    ]


def plan_pieces(plan: BacktestPlan, families: Sequence[str] | None = None) -> list[FitPiece]:
    """Every piece of a series' fits: each family's backtest and final fit, split as above."""
    chosen = list(families or candidate_families(plan))
    light = tuple(f for f in chosen if f not in _ALONE)
    pieces: list[FitPiece] = []
    for family in (f for f in chosen if f in _ALONE):
        if family in _NO_REAPPLY:
            pieces += [FitPiece((family,), (origin,)) for origin in plan.origins]
        else:
            pieces.append(FitPiece((family,), plan.origins))
        pieces.append(FitPiece((family,)))
    if light:
        pieces += [FitPiece(light, plan.origins), FitPiece(light)]
    return pieces


def fit_piece(series: pd.Series, piece: FitPiece) -> FitBatch:
    """The worker side of a piece: fit its families, with its timing. Never raises for a model's
    sake: a family that cannot be fitted is a failed output with the reason."""
    started, cpu = time.time(), cpu_seconds()
    outputs: list[FitOutput] = []
    for family in piece.families:
        if piece.final:
            outputs.append(fit_final(family, series))
        else:
            outputs.extend(fit_backtest(family, series, piece.origins))
    return FitBatch(tuple(outputs), os.getpid(), started, time.time(), cpu_seconds() - cpu,
                    socket.gethostname())


def collect(
    batches: Sequence[FitBatch], plan: BacktestPlan
) -> tuple[dict[str, list[FitOutput]], dict[str, FitOutput]]:
    """The pieces' outputs as each family's folds (in origin order) and final fit."""
    folds: dict[str, dict[int, FitOutput]] = {}
    finals: dict[str, FitOutput] = {}
    for batch in batches:
        for out in batch.outputs:
            if out.origin in plan.origins:
                folds.setdefault(out.family, {})[out.origin] = out
            else:
                finals[out.family] = out
    # The families' order is the candidates' whatever order the pieces finished in, so every
    # executor assembles the same way.
    order = [f for f in SINGLE_FAMILIES if f in folds]
    return {f: [folds[f][o] for o in plan.origins] for f in order}, {
        f: finals[f] for f in SINGLE_FAMILIES if f in finals
    }


def run_pieces_here(
    series: pd.Series, plan: BacktestPlan, families: Sequence[str] | None = None
) -> tuple[dict[str, list[FitOutput]], dict[str, FitOutput]]:
    """Every piece in this process, one after another (the library's and benchmarks' path)."""
    return collect([fit_piece(series, p) for p in plan_pieces(plan, families)], plan)


def family_seconds(batches: Sequence[FitBatch]) -> Mapping[str, float]:
    out: dict[str, float] = {}
    for batch in batches:
        for fit in batch.outputs:
            out[fit.family] = out.get(fit.family, 0.0) + fit.seconds
    return out
