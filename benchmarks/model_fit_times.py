"""Median fit+predict seconds per model family on the bundled sample's revenue, as JSON.

Also times the choices the README explains: Prophet with L-BFGS (used) vs Newton (Prophet's
default under 100 points), and seasonal ETS with heuristic (used) vs estimated start values.

    .venv/bin/python benchmarks/model_fit_times.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from forecasting import prepare, source_files_from_paths
from forecasting.models import build_candidates, silence_prophet

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "company_financials.csv"


def _median_seconds(run: Callable[[], Any], repeat: int) -> float:
    run()  # the first call pays imports and Stan's model load
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def _variants(series: Any) -> dict[str, Callable[[], Any]]:
    from prophet import Prophet
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    frame = series.rename_axis("ds").reset_index(name="y")

    def prophet(algorithm: str) -> Callable[[], Any]:
        def fit() -> Any:
            model = Prophet(yearly_seasonality=4, weekly_seasonality=False,
                            daily_seasonality=False, uncertainty_samples=0)
            return model.fit(frame, algorithm=algorithm)
        return fit

    def ets(init: str) -> Callable[[], Any]:
        def fit() -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ETSModel(series.asfreq("MS"), error="add", trend="add", damped_trend=True,
                                seasonal="add",
                                seasonal_periods=12, initialization_method=init).fit(disp=False)
        return fit

    return {"prophet_fit_lbfgs": prophet("LBFGS"), "prophet_fit_newton": prophet("Newton"),
            "ets_fit_heuristic": ets("heuristic"), "ets_fit_estimated": ets("estimated")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    silence_prophet()
    series = prepare(source_files_from_paths([str(SAMPLE)]), 3, 95).kpis.values["revenue"]
    out: dict[str, Any] = {"series": "revenue", "months": len(series), "repeat": args.repeat}
    with threadpool_limits(1):
        for family, model in build_candidates(True, len(series)).items():
            def run(model: Any = model) -> Any:
                return model.fit(series).predict(3, (80, 95))
            out[f"{family}_fit_predict_s"] = _median_seconds(run, args.repeat)
        for name, run in _variants(series).items():
            out[f"{name}_s"] = _median_seconds(run, args.repeat)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
