"""The page's tab bar. Only the open tab is drawn: choosing a tab reruns the page anyway (a keyed
tab bar that keeps the user on their tab after a setting change), so drawing the others' charts
on every run only cost the server and the browser time. A choice made on a tab (the entity
column, the metric shown) is kept while another tab is open."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from .texts import TABS

__all__ = ["KEPT_CHOICES", "open_tab"]

# Widgets on tabs that are not always drawn. Streamlit forgets a widget's value after a run
# that did not draw it; writing the value back at the start of each run keeps it.
KEPT_CHOICES = ("entity-by", "entity-metric", "detail-metric")


def open_tab() -> tuple[str, DeltaGenerator]:
    """Draws the tab bar; the open tab's name and its container."""
    for key in KEPT_CHOICES:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    containers = st.tabs(TABS, key="tab", on_change="rerun")
    for name, container in zip(TABS, containers, strict=True):
        if container.open:
            return name, container
    return TABS[0], containers[0]
