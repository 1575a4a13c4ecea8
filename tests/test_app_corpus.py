"""A representative part of the hostile corpus uploaded to the page (AppTest, sequential engine):
a report or an st.error, never an exception; file names and headers shown as text, never as
Markdown; the mapping table formula-safe. Nine files of the corpus, not all: each accepted one is
a full fit on the page, and the whole corpus goes through the CLI in test_hostile_corpus."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import CORPUS, Case
from streamlit.testing.v1 import AppTest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("single_blas_thread")]

APP = Path(__file__).resolve().parents[1] / "app.py"
# Streamlit itself refuses a name outside the uploader's types (.xlsx) before the page runs;
# a workbook renamed .csv is what reaches the page.
SUBSET = ("six months.csv", "workbook renamed.csv", "unbalanced quote.csv", "mixed currencies.csv",
          "a year at 12 months.csv", "utf16 bom.csv", "near zero equity.csv",
          "=cmd|' -C calc'!A0.csv")
INJECTED = next(c for c in CORPUS if c.name.startswith("[report]"))
_REAL_MAIN = sys.modules["__main__"]


@pytest.fixture(autouse=True)
def _restore_main() -> Iterator[None]:
    yield
    sys.modules["__main__"] = _REAL_MAIN  # AppTest leaves the page installed as __main__


def upload(case: Case) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.run()
    at.session_state["tab"] = "Downloads"  # where a report is offered
    at.sidebar.selectbox(key="executor").set_value("sequential")
    at.sidebar.slider(key="horizon").set_value(case.horizon)
    at.sidebar.file_uploader[0].set_value((case.name, case.data, "text/csv"))
    at.run()
    return at


def texts(at: AppTest) -> list[tuple[str, str]]:
    """(element type, Markdown source) of every text element on the page."""
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success"):
        out += [(kind, str(element.value)) for element in getattr(at, kind)]
    return out


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("case", [c for c in CORPUS if c.name in SUBSET], ids=lambda c: c.id)
def test_the_page_shows_a_report_or_an_error_never_an_exception(case: Case) -> None:
    at = upload(case)
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(unescaped(text) for _, text in texts(at))
    assert "Traceback" not in shown
    if not case.accepted:
        errors = [unescaped(e.value) for e in at.error]
        assert any(case.says in error for error in errors), errors
        assert not at.get("download_button")
        return
    # A report: KPI cards and the downloads (high alerts are st.error boxes inside it).
    labels = [m.label for m in at.metric]
    assert "Revenue" in labels, labels
    assert at.get("download_button"), "no report was offered"
    if case.name == "near zero equity.csv":
        card = next(m for m in at.metric if m.label == "Debt to equity")
        assert card.value == "not meaningful"


def test_names_and_headers_from_the_file_are_text_not_markdown() -> None:
    at = upload(INJECTED)
    assert not at.exception, [e.value for e in at.exception]
    sources = texts(at)
    # Every place the file's name or headers appear, the Markdown that would make a link, an
    # image or bold text is escaped.
    for kind, source in sources:
        # What Markdown would still interpret: not escaped characters, not code spans.
        live = re.sub(r"`[^`]*`", "", re.sub(r"\\.", "", source))
        for raw in ("[report](javascript", "<img src", "[click](http"):
            assert raw not in live, (kind, source)
    # The amounts under "[click](...)" are listed as unused: that line names the header, escaped.
    assert any("\\[click\\]\\(http" in source for _, source in sources)
    caption = next(text for kind, text in sources if kind == "caption" and "report" in text)
    assert caption.endswith(f"`{INJECTED.name}`")  # a code span: shown as written
    table = at.data_editor[0].value
    shown = list(table["Source column"])
    assert "'=HYPERLINK(\"http://evil.example\")" in shown  # a spreadsheet shows it as text
    assert not any(str(cell).startswith(("=", "+", "-", "@")) for cell in table.to_numpy().ravel())


def test_a_horizon_the_history_cannot_backtest_says_what_it_supports() -> None:
    case = next(c for c in CORPUS if c.name == "a year at 12 months.csv")
    at = upload(case)
    errors = [unescaped(e.value) for e in at.error]
    assert any("12 months support at most a 4-month horizon" in e for e in errors), errors
    assert not at.get("download_button")
    at.sidebar.slider(key="horizon").set_value(4).run()
    assert not at.exception
    assert not any("horizon" in unescaped(e.value) for e in at.error)
    assert any(kind == "caption" and "forecasting 4 months" in text for kind, text in texts(at))
