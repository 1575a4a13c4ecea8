"""The engine's exceptions, one small hierarchy rooted at ``ValueError``.

    ValueError
     └── ForecastingError            anything the engine refuses, with a message for a person
          ├── DataValidationError    the uploaded CSV cannot become a monthly frame
          └── ModelError             a model could not fit or forecast a series

Messages name the column, the file or the count so that a finance user knows what to fix.
"""

from __future__ import annotations

__all__ = ["DataValidationError", "ForecastingError", "ModelError", "first_line"]


class ForecastingError(ValueError):
    """Base class: every error the engine raises on purpose."""


class DataValidationError(ForecastingError):
    """The input data cannot be turned into a monthly frame; the message says why and what to do."""


class ModelError(ForecastingError):
    """A candidate model failed to fit or gave an unusable forecast."""


def first_line(exc: BaseException, with_type: bool = False, limit: int = 300) -> str:
    """An exception as one short line for a report: its message's first line, and (``with_type``)
    its type, unless it is one of the engine's own refusals: those are written for a person."""
    text = str(exc).strip()
    message = text.splitlines()[0] if text else ""
    if not message:
        return type(exc).__name__
    typed = with_type and not isinstance(exc, ForecastingError)
    return (f"{type(exc).__name__}: {message}" if typed else message)[:limit]
