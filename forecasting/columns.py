"""Which source header means which financial column, recognised by meaning: units and notes in
brackets, currency codes, 'total'/'net' prefixes, '&'/'and' and plurals do not change a name;
accounting vocabulary (Turnover, Opex, COGS, SG&A, Trade Debtors, ...) is known. Every header
gets a decision with a confidence and a reason the mapping review shows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from .report_types import MappingDecisionRow
from .vocabulary import BLOCKER_REASONS, CAVEATS, KEYWORDS, PHRASES

__all__ = [
    "BALANCES",
    "CANONICAL_COLUMNS",
    "CATEGORIES",
    "COLUMN_LABELS",
    "ENTITIES",
    "FLOWS",
    "IGNORE",
    "Confidence",
    "MappingDecision",
    "closest_meaning",
    "guess_mapping",
    "map_columns",
    "normalise_header",
]

FLOWS: Final = ("revenue", "cogs", "expenses", "profit", "cashflow", "marketing")
"""Amounts that accumulate over a month: a month's value is the sum of its rows."""

BALANCES: Final = (
    "ar",
    "ap",
    "assets",
    "liabilities",
    "current_assets",
    "current_liabilities",
    "equity",
    "cash",
    "inventory",
)
"""Amounts read at a point in time: a month's value is the last reading of each entity."""

ENTITIES: Final = ("region", "store", "branch", "department", "entity", "company")
"""Who a row belongs to: flows are summed across them, balances summed over their last readings."""

CATEGORIES: Final = ENTITIES
CANONICAL_COLUMNS: Final = ("date", *FLOWS, *BALANCES, *ENTITIES)
IGNORE: Final = "ignore"

COLUMN_LABELS: Final[dict[str, str]] = {
    "date": "Date",
    "revenue": "Revenue",
    "cogs": "Cost of goods sold",
    "expenses": "Expenses",
    "profit": "Profit",
    "cashflow": "Operating cash flow",
    "marketing": "Marketing spend",
    "ar": "Accounts receivable",
    "ap": "Accounts payable",
    "assets": "Total assets",
    "liabilities": "Total liabilities",
    "current_assets": "Current assets",
    "current_liabilities": "Current liabilities",
    "equity": "Equity",
    "cash": "Cash",
    "inventory": "Inventory",
    "region": "Region",
    "store": "Store",
    "branch": "Branch",
    "department": "Department",
    "entity": "Entity",
    "company": "Company",
}

Confidence = Literal["set by you", "high", "medium", "low", "none"]
_RANK: Final[dict[str, float]] = {"set by you": 9.0, "high": 3.0, "medium": 2.0}

_BRACKETS: Final = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|<[^>]*>")
_UNIT_TOKENS: Final = frozenset(
    {
        *("usd", "eur", "gbp", "chf", "jpy", "cad", "aud", "inr", "cny", "nzd", "sek", "nok"),
        *("dkk", "zar", "sgd", "hkd", "mxn", "brl", "local", "currency", "in"),
        *("thousand", "thousands", "000", "000s", "k", "m", "mm", "mn", "bn", "million"),
        *("millions", "monthly", "ytd", "mtd", "actual", "actuals", "amt", "amount", "value"),
    }
)
_STOPWORDS: Final = frozenset({"of", "from", "the", "for", "to", "on", "a"})
_MODIFIERS: Final = ("total", "net", "sum")


@dataclass(frozen=True)
class MappingDecision:
    """What one source header became, how sure the match is, and why."""

    source: str
    target: str | None
    confidence: Confidence
    reason: str

    def to_dict(self) -> MappingDecisionRow:
        return {
            "source": self.source,
            "target": self.target,
            "confidence": self.confidence,
            "reason": self.reason,
        }


def _singular(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _tokens(header: str) -> list[str]:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ").replace("+", " and ")
    unbracketed = _BRACKETS.sub(" ", text)
    words = re.findall(r"[a-z0-9]+", unbracketed) or re.findall(r"[a-z0-9]+", text)
    kept = [w for w in words if w not in _UNIT_TOKENS and w not in _STOPWORDS]
    return [_singular(w) for w in (kept or words)]


def normalise_header(header: str) -> str:
    """A header reduced to its meaning-bearing words: 'Total Operating Expenses (USD)' ->
    'total operating expense'; 'Revenue (USD)' -> 'revenue'; 'SG&A' -> 'sg and a'."""
    return " ".join(_tokens(header))


_PHRASE_LOOKUP: Final[dict[str, str]] = {
    normalise_header(phrase): canonical
    for canonical, phrases in PHRASES.items()
    for phrase in phrases
}


def _phrase_match(tokens: list[str]) -> tuple[str, str] | None:
    """A known name, or one after dropping 'total'/'net' one word at a time ('Total Net Income'
    is 'net income', profit; 'Net Income' itself is never read as 'income')."""
    stripped = list(tokens)
    while stripped:
        key = " ".join(stripped)
        if key in _PHRASE_LOOKUP:
            how = "a known name" if stripped == tokens else f"a known name ('{key}')"
            return _PHRASE_LOOKUP[key], how
        if stripped[0] in _MODIFIERS:
            stripped = stripped[1:]
        elif stripped[-1] in ("total", "balance"):
            stripped = stripped[:-1]
        else:
            return None
    return None


def closest_meaning(header: str) -> tuple[str | None, str]:
    """The canonical column a header's words point to even when a blocking word keeps it from
    being used, and why it is not used ('' when nothing stands in the way)."""
    tokens = _tokens(header)
    words = set(tokens)
    for canonical, wanted, blockers in KEYWORDS:
        if not any(all(part in words for part in w.split()) for w in wanted):
            continue
        blocking = sorted(words & blockers, key=lambda w: (w not in BLOCKER_REASONS, w))
        if blocking:
            return canonical, BLOCKER_REASONS.get(blocking[0], f"the word '{blocking[0]}'")
        return canonical, ""
    return None, "no financial meaning recognised in the name"


def _guess(header: str) -> tuple[str | None, Confidence, str]:
    tokens = _tokens(header)
    phrase = _phrase_match(tokens)
    if phrase is not None:
        caveat = CAVEATS.get(" ".join(tokens))
        if caveat is not None:
            return phrase[0], "medium", f"a known name, but {caveat}"
        return phrase[0], "high", phrase[1]
    canonical, blocked = closest_meaning(header)
    if canonical is not None and not blocked:
        return canonical, "medium", f"its words point to {COLUMN_LABELS[canonical].lower()}"
    if canonical is not None:
        label = COLUMN_LABELS[canonical].lower()
        return None, "low", f"closest meaning {label}, not taken: {blocked}"
    return None, "none", "not a column the forecasts use"


def map_columns(
    headers: Iterable[str],
    overrides: Mapping[str, str] | None = None,
    prefer_totals: bool = False,
    unusable: Mapping[str, str] | None = None,
) -> list[MappingDecision]:
    """One decision per header, in the headers' order. A caller's override (header -> canonical
    or ``"ignore"``) wins; otherwise each canonical column goes to the surest match (an exact name
    before a near one, a 'Total' line first where ``prefer_totals``, as in a P&L), ties to the
    first in the file. ``unusable`` (header -> why) are guesses the values contradicted."""
    wanted = {normalise_header(k): v for k, v in (overrides or {}).items()}
    headers = list(headers)
    guesses: dict[str, tuple[str | None, Confidence, str]] = {}
    for header in headers:
        choice = wanted.get(normalise_header(header))
        if choice is None and unusable and header in unusable:
            guesses[header] = (None, "low", unusable[header])
        elif choice == IGNORE:
            guesses[header] = (None, "set by you", "ignored at your request")
        elif choice is not None and choice not in CANONICAL_COLUMNS:
            guesses[header] = (None, "set by you", f"unknown target {choice!r}")
        elif choice is not None:
            guesses[header] = (choice, "set by you", "mapped at your request")
        else:
            guesses[header] = _guess(header)

    def rank(item: tuple[int, str]) -> tuple[float, int]:
        position, header = item
        _, confidence, reason = guesses[header]
        total = prefer_totals and _tokens(header)[:1] in (["total"], ["net"])
        exact = reason == "a known name"
        score = _RANK.get(confidence, 0.0) + (0.5 if total else 0.0) + (0.25 if exact else 0.0)
        return (-score, position)

    taken: dict[str, str] = {}
    decisions: dict[str, MappingDecision] = {}
    for _, header in sorted(enumerate(headers), key=rank):
        target, confidence, reason = guesses[header]
        if target is not None and target in taken:
            decisions[header] = MappingDecision(
                header,
                None,
                confidence,
                f"{COLUMN_LABELS[target]} already comes from {taken[target]!r}",
            )
            continue
        if target is not None:
            taken[target] = header
        decisions[header] = MappingDecision(header, target, confidence, reason)
    return [decisions[h] for h in headers]


def guess_mapping(
    headers: Iterable[str], overrides: Mapping[str, str] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """``(mapping, ignored)``: source header -> canonical name, and source header -> why it was
    not used, in the headers' order (see :func:`map_columns`)."""
    decisions = map_columns(headers, overrides)
    mapping = {d.source: d.target for d in decisions if d.target is not None}
    ignored = {d.source: d.reason for d in decisions if d.target is None}
    return mapping, ignored
