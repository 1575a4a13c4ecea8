"""How far ahead a history can be forecast: only as far as it can be backtested first."""

from __future__ import annotations

from .errors import DataValidationError, ModelError
from .selection import plan_backtest
from .settings import MAX_HORIZON

__all__ = ["check_horizon", "horizon_message", "max_supported_horizon"]


def max_supported_horizon(months: int) -> int:
    """The longest horizon (0 to 12 months) for which ``months`` of history leave room for at
    least one backtest fold (``selection.plan_backtest``)."""
    for horizon in range(MAX_HORIZON, 0, -1):
        try:
            plan_backtest(months, horizon)
        except ModelError:
            continue
        return horizon
    return 0


def horizon_message(months: int, horizon: int) -> str | None:
    """One line saying what the data supports, or None when ``horizon`` is supported."""
    supported = max_supported_horizon(months)
    if horizon <= supported:
        return None
    if supported == 0:
        return f"{months} months are too few to backtest any forecast."
    return (
        f"{months} months support at most a {supported}-month horizon (every forecast is "
        f"backtested on the history first); choose {supported} months or fewer, not {horizon}."
    )


def check_horizon(months: int, horizon: int) -> None:
    """Raise :class:`DataValidationError` with :func:`horizon_message` when unsupported."""
    message = horizon_message(months, horizon)
    if message is not None:
        raise DataValidationError(message)
