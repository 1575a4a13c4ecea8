"""The one place logging is configured: loguru for the engine, Prophet/cmdstanpy silenced.

The engine logs events with their fields bound (``event``, ``metric``, ``seconds``, ``outcome``,
``pid`` ...): a run's settings, each job's outcome, pool starts, worker deaths, replacements and
time-outs. ``FORECAST_LOG_LEVEL`` (default WARNING) sets the level; ``FORECAST_LOG_FORMAT=json``
writes one JSON object per line for a log collector. Until ``configure_logging`` runs (the CLI
and the dashboard call it), the engine is silent, as a library should be.
"""

from __future__ import annotations

import os
import sys
from typing import Final

from loguru import logger

__all__ = ["FORMAT_ENV", "LEVEL_ENV", "configure_logging", "logger"]

LEVEL_ENV: Final = "FORECAST_LOG_LEVEL"
FORMAT_ENV: Final = "FORECAST_LOG_FORMAT"
_TEXT: Final = "{time:HH:mm:ss} | {level: <7} | {message} | {extra}"

logger.disable("forecasting")


def configure_logging(level: str | None = None, worker: bool = False) -> None:
    """Send engine logs to stderr at ``level`` (else ``$FORECAST_LOG_LEVEL``, else WARNING).

    Workers log warnings and errors only, whatever the level: the parent logs each job already.
    """
    from .models import silence_prophet

    wanted = (level or os.environ.get(LEVEL_ENV) or "WARNING").strip().upper()
    try:
        number = logger.level(wanted).no
    except ValueError:
        number, unknown = logger.level("WARNING").no, wanted
    else:
        unknown = ""
    if worker:
        number = max(number, logger.level("WARNING").no)
    logger.remove()
    logger.enable("forecasting")
    as_json = os.environ.get(FORMAT_ENV, "").strip().lower() == "json"
    logger.add(sys.stderr, level=number, format=_TEXT, serialize=as_json)
    if unknown:
        logger.warning(f"{LEVEL_ENV}={unknown!r} is not a log level; logging warnings and errors")
    silence_prophet()
