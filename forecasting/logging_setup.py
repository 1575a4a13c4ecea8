"""The one place logging is configured: loguru for the engine, Prophet/cmdstanpy silenced."""

from __future__ import annotations

import sys

from loguru import logger

__all__ = ["configure_logging", "logger"]


def configure_logging(level: str = "WARNING", worker: bool = False) -> None:
    """Send engine logs to stderr at ``level``; workers log only warnings and errors."""
    from .models import silence_prophet

    logger.remove()
    logger.add(
        sys.stderr,
        level="WARNING" if worker else level,
        format="{time:HH:mm:ss} | {level: <7} | {message}",
    )
    silence_prophet()
