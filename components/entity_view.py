"""The 'By entity' tab: revenue, expenses and profit per region, store, branch or department (or
a pair), on demand since each entity adds three forecasts: a ranking by expected change, an
entity picker over a small-multiples grid with bands, and the entities not forecast, with why."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

import pandas as pd
import streamlit as st

from forecasting import DataValidationError, MetricResult, Prepared, RunSettings
from forecasting.columns import COLUMN_LABELS
from forecasting.entities import ENTITY_METRICS
from forecasting.entity_report import entity_forecasts
from forecasting.formatting import format_value
from forecasting.kpis import METRIC_INFO
from forecasting.pipeline import forecast, with_entities
from forecasting.report_types import EntityEntry
from forecasting.settings import MODES

from .engine import get_pool
from .result_store import kept_or_computed
from .safe_text import escape_markdown
from .scale_charts import entity_grid_figure

__all__ = ["chosen_entities", "entity_ui"]

_OFF = ""
_BY = "entity-by"  # the chosen entity column(s), kept while another tab is open
_GRID_MOST = 24
_RIGHT = st.column_config.TextColumn(alignment="right")


def _by_label(choice: str) -> str:
    if choice == _OFF:
        return "Off (company metrics only)"
    return " × ".join(COLUMN_LABELS[c] for c in choice.split(","))


def _entity_run(
    choice: str,
    prepared: Prepared,
    settings: RunSettings,
    key: str,
    mapping: tuple[tuple[str, str], ...],
) -> dict[str, EntityEntry]:
    """The entity forecasts for ``choice`` (one entity column, or two joined by a comma), on the
    chosen executor; kept per server like the company report, by its key plus the entity
    columns, so a second call fits nothing."""
    by = tuple(choice.split(","))
    fitted = replace(settings, mode=MODES[0])
    return kept_or_computed(
        "entities", (key, mapping, fitted, by), lambda: _fit_entities(fitted, by, prepared)
    )


def _fit_entities(
    settings: RunSettings, by: tuple[str, ...], prepared: Prepared
) -> dict[str, EntityEntry]:
    """The progress bar is advanced from this script thread, and gone when the run is."""
    jobs = with_entities(prepared, by, company=False)
    slot = st.empty()
    bar = slot.progress(0.0, text=f"Forecasting {len(jobs.jobs)} entity series…")

    def _on_result(result: MetricResult, done: int, total: int) -> None:
        mark = "✓" if result.status == "ok" else "✗"
        bar.progress(done / total, text=f"{mark} {result.entity}: {result.metric} "
                                        f"({done} of {total})")

    pool = get_pool() if settings.executor in ("processes", "sequential") else None
    analysis = forecast(jobs, settings, pool, _on_result)
    slot.empty()
    return entity_forecasts(analysis)


def _ranking(section: dict[str, EntityEntry], metric: str) -> pd.DataFrame:
    """Entities by expected change, largest first; amounts written like the cards."""
    unit = METRIC_INFO[metric].unit
    rows = []
    for name, entry in section.items():
        change = entry["expected_change"].get(metric)
        health = entry["model_health_report"].get(metric)
        if change is None or health is None:
            continue
        rows.append({
            "Entity": name,
            "Same months a year earlier": format_value(change["year_before_total"], unit),
            "Forecast": format_value(change["forecast_total"], unit),
            "Expected change": change["change_percent"],
            "Model": health.get("best_model_selected"),
            "Backtest MASE": health.get("backtest_mase"),
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.sort_values("Expected change", ascending=False, na_position="last")
    frame["Expected change"] = [
        "n/a" if pd.isna(v) else f"{v:+.1f}%" for v in frame["Expected change"]
    ]
    return frame


def _not_forecast(section: dict[str, EntityEntry]) -> pd.DataFrame:
    """Entities not forecast, and metrics that failed for one entity; a metric the data lacks
    for every entity is said once (``_lacking``), not on each row."""
    rows = []
    for name, entry in section.items():
        if entry["status"] != "ok":
            rows.append({"Entity": name, "Why not forecast": entry["reason"]})
            continue
        for metric, health in entry["model_health_report"].items():
            if health["status"] == "failed":
                why = f"{METRIC_INFO[metric].label}: {health['reason']}"
                rows.append({"Entity": name, "Why not forecast": why})
    return pd.DataFrame(rows)


def _lacking(section: dict[str, EntityEntry]) -> list[str]:
    said: dict[str, str] = {}
    for entry in section.values():
        for metric, health in entry["model_health_report"].items():
            if health["status"] == "skipped":
                said.setdefault(metric, f"{METRIC_INFO[metric].label} is not forecast per "
                                        f"entity: {health['reason']}")
    return list(said.values())


def _show(section: dict[str, EntityEntry]) -> None:
    metric = st.radio("Metric", ENTITY_METRICS, format_func=lambda m: METRIC_INFO[m].label,
                      horizontal=True, key="entity-metric")
    ranking = _ranking(section, metric)
    st.markdown(f"**Ranking by expected change** — {METRIC_INFO[metric].label.lower()} over "
                "the forecast months against the same months a year earlier")
    st.dataframe(ranking, hide_index=True, width="stretch", key="entity-ranking",
                 column_config={
                     "Same months a year earlier": _RIGHT,
                     "Forecast": _RIGHT,
                     "Expected change": _RIGHT,
                     "Backtest MASE": st.column_config.NumberColumn(format="%.2f"),
                 })
    forecast_names = [n for n, e in section.items() if e["status"] == "ok"]
    if forecast_names:
        chosen = st.multiselect("Entities", forecast_names, default=forecast_names[:6],
                                max_selections=_GRID_MOST, key="entity-pick",
                                help="Largest revenue first.")
        if chosen:
            figure = entity_grid_figure(section, chosen, metric, METRIC_INFO[metric].unit)
            figure.update_layout(title=f"{METRIC_INFO[metric].label} by entity: the last two "
                                 "years, the forecast, its 80% and 95% bands")
            st.plotly_chart(figure, width="stretch", key="entity-grid")
    for line in _lacking(section):
        st.caption(line)
    missing = _not_forecast(section)
    if not missing.empty:
        st.markdown("**Not forecast**")
        st.dataframe(missing, hide_index=True, width="stretch", key="entity-missing")


def _choices(prepared: Prepared) -> list[str]:
    """Off, each entity column and each pair of them; none when the data has no such column."""
    columns = prepared.data.summary.entity_columns
    if not columns:
        return []
    return [_OFF, *columns, *(",".join(pair) for pair in combinations(columns, 2))]


def entity_ui(
    prepared: Prepared, settings: RunSettings, key: str, mapping: tuple[tuple[str, str], ...]
) -> None:
    """Off until a column is chosen; then the ranking and the grid of entity forecasts."""
    choices = _choices(prepared)
    if not choices:
        st.info("Per-entity forecasts need a region, store, branch or department column with "
                "several rows a month; this data has none.")
        return
    choice = st.selectbox("Forecast revenue, expenses and profit per", choices,
                          format_func=_by_label, key=_BY)
    if choice == _OFF:
        st.caption("Each entity adds three forecasts to the run, so this is off until you "
                   "choose an entity column.")
        return
    try:
        section = _entity_run(choice, prepared, settings, key, mapping)
    except DataValidationError as error:
        st.warning(escape_markdown(str(error)))
        return
    ok = sum(entry["status"] == "ok" for entry in section.values())
    st.caption(f"{ok} of {len(section)} entities forecast per {_by_label(choice).lower()}.")
    _show(section)


def chosen_entities(
    prepared: Prepared, settings: RunSettings, key: str, mapping: tuple[tuple[str, str], ...]
) -> tuple[list[str], dict[str, EntityEntry]] | None:
    """The entity columns and forecasts chosen on the By entity tab, for the download; None
    while that choice is off or cannot be forecast (the By entity tab says why)."""
    choice = st.session_state.get(_BY, _OFF)
    if choice == _OFF or choice not in _choices(prepared):
        return None
    try:
        return choice.split(","), _entity_run(choice, prepared, settings, key, mapping)
    except DataValidationError:
        return None
