"""The hostile corpus (tests/corpus.py) through the engine and the CLI: every file is forecast
(exit 0, strict JSON, finite and ordered bounds) or refused with one plain line (exit 2); nothing
crashes, nothing prints a traceback or a numpy warning."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from corpus import CORPUS, Case

from forecasting import DataValidationError, SourceFile, compute_kpis, ingest
from forecasting.cli import main

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CORPUS) >= 40
    assert len({case.name for case in CORPUS}) == len(CORPUS)
    assert sum(case.accepted for case in CORPUS) >= 15
    assert sum(not case.accepted for case in CORPUS) >= 15


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_ingest_accepts_or_refuses_in_one_line_without_warnings(case: Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy or pandas warning would reach stderr
        try:
            result = ingest([SourceFile(case.name, case.data)])
        except DataValidationError as refused:
            message = str(refused)
            assert not case.accepted or case.horizon > 1, message
            assert case.says in message
            assert "\n" not in message and "Traceback" not in message
            assert "(s)" not in message, message  # "6 months", never "6 month(s)"
            return
        kpis = compute_kpis(result.monthly)
    assert case.accepted or case.horizon > 1, f"{case.name} was accepted"
    said = [*result.summary.lines(), *result.summary.warnings, *kpis.skipped.values()]
    assert not [line for line in said if "(s)" in line]
    values = kpis.values.to_numpy()
    assert not np.isinf(values).any()
    assert not np.isinf(result.monthly.to_numpy()).any()


def _strict(text: str) -> dict[str, Any]:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the report JSON")

    data: dict[str, Any] = json.loads(text, parse_constant=refuse)
    return data


def _check_bounds(body: dict[str, Any]) -> None:
    forecast = 0
    for metric, rows in body["forecast_chart"].items():
        for row in rows:
            values = [row["lower"], row["predicted"], row["upper"]]
            assert all(isinstance(v, float) and math.isfinite(v) for v in values), (metric, row)
            assert row["lower"] <= row["predicted"] <= row["upper"], (metric, row)
            forecast += 1
        for band in body["forecast_bands"][metric]:
            assert band["lower_95"] <= band["lower_80"] <= band["upper_80"] <= band["upper_95"]
    assert forecast, "exit 0 with no forecast at all"


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=[pytest.mark.slow] if case.accepted else [], id=case.id)
    for case in CORPUS
])
def test_cli_exits_0_or_2_never_1_and_writes_strict_json(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / case.name
    path.write_bytes(case.data)
    output = tmp_path / "out" / "forecast-report.json"
    output.parent.mkdir()
    code = main(["report", str(path), "--executor", "sequential", "--horizon",
                 str(case.horizon), "--output", str(output)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    if not case.accepted:
        assert code == 2, captured.err
        errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and case.says in errors[0], captured.err
        assert not output.exists()
        return
    assert code == 0, captured.err
    body = _strict(output.read_text(encoding="utf-8"))["full_analysis_report"]
    _check_bounds(body)
    assert body["metadata"]["source_files"] == [case.name]
