"""The report a run writes has exactly the shape ``forecasting.report_types`` declares, the shape
mypy checks the page against: a key the page reads is always there, with the declared type."""

from __future__ import annotations

import copy
import json
from typing import Any

from shape import mismatches

from forecasting.report import dumps, with_level, with_mode
from forecasting.report_types import Report


def _written(report: Any) -> Any:
    return json.loads(dumps(report))


def test_the_sample_report_as_downloaded_has_the_declared_shape(sample_report: Report) -> None:
    assert mismatches(_written(sample_report), Report) == []
    other_view = with_mode(with_level(sample_report, 80), "financial_storyteller")
    assert mismatches(_written(other_view), Report) == []


def test_a_row_with_a_wrong_missing_or_unknown_key_is_named(sample_report: Report) -> None:
    """The check above can fail: each kind of drift is caught and says where."""
    report = copy.deepcopy(_written(sample_report))
    body = report["full_analysis_report"]
    body["forecast_chart"]["revenue"][0]["predicted"] = "1,000"
    del body["history"]["profit"][2]["filled"]
    body["model_health_report"]["dso"]["accuracy"]["extra"] = 1
    assert sorted(mismatches(report, Report)) == [
        "report.full_analysis_report.forecast_chart.revenue[0].predicted: '1,000' is not "
        "float | None",
        "report.full_analysis_report.history.profit[2]: no 'filled'",
        "report.full_analysis_report.model_health_report.dso.accuracy: 'extra' is not in "
        "AccuracyEntry",
    ]
