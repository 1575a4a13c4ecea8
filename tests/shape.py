"""Whether a JSON value has the shape a type from ``forecasting.report_types`` declares: every
required key, no key the type does not name, and each value of its declared type, recursively.
mypy checks the code against those types; this checks what the code really wrote."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict


def mismatches(value: Any, tp: Any, path: str = "report") -> list[str]:
    """Every place where ``value`` differs from ``tp``, as 'path: what is wrong'."""
    origin = get_origin(tp)
    if tp is Any:
        return []
    if is_typeddict(tp):
        return _typed_dict(value, tp, path)
    if origin in (typing.Union, types.UnionType):
        found = [mismatches(value, arm, path) for arm in get_args(tp)]
        return [] if any(not f for f in found) else [f"{path}: {value!r:.60} is not {tp}"]
    if origin is Literal:
        return [] if value in get_args(tp) else [f"{path}: {value!r} is not one of {get_args(tp)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        (item,) = get_args(tp)
        return [m for i, v in enumerate(value) for m in mismatches(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        _, item = get_args(tp)
        return [m for k, v in value.items() for m in mismatches(v, item, f"{path}.{k}")]
    return _scalar(value, tp, path)


def _typed_dict(value: Any, tp: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: not an object"]
    hints = get_type_hints(tp)
    out = [f"{path}: no {key!r}" for key in sorted(tp.__required_keys__ - value.keys())]
    out += [f"{path}: {key!r} is not in {tp.__name__}" for key in sorted(value.keys() - hints)]
    for key in value.keys() & hints.keys():
        out += mismatches(value[key], hints[key], f"{path}.{key}")
    return out


def _scalar(value: Any, tp: Any, path: str) -> list[str]:
    if tp is type(None):
        ok = value is None
    elif tp is float:  # JSON writes 2.0 as 2.0, but a whole count may come back as an int
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, tp)
    return [] if ok else [f"{path}: {value!r:.60} is not {getattr(tp, '__name__', tp)}"]
