"""Uploaded bytes to text: the encoding (named, for the summary), line ends, and refusals of
files that are not text at all. Linear in the file's size."""

from __future__ import annotations

import re
from typing import Final

from .errors import DataValidationError

__all__ = ["clean_name", "decode_text", "describe_lines", "plain"]

_BINARY_MAGIC: Final = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\x1f\x8b")
_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
_UNPRINTABLE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_LIMIT: Final = 8


def plain(text: str, limit: int = 60) -> str:
    """A file's own text for a message: quoted, shortened, with control characters made
    visible, so a header can never pass for part of the sentence around it."""
    cleaned = _UNPRINTABLE.sub("?", text.replace("\n", " ").replace("\r", " "))
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return repr(cleaned)


def clean_name(name: str, limit: int = 120) -> str:
    """An uploaded file's name fit for a sentence: one line, no control characters, bounded."""
    cleaned = " ".join(_UNPRINTABLE.sub("?", name).split()) or "unnamed file"
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def describe_lines(lines: list[int] | tuple[int, ...], limit: int = 8) -> str:
    """[3, 4, 5, 9] -> 'lines 3–5, 9': consecutive lines as ranges, at most ``limit`` parts."""
    parts: list[str] = []
    ordered = sorted(set(lines))
    start = prev = ordered[0] if ordered else 0
    for line in [*ordered[1:], None]:
        if line is not None and line == prev + 1:
            prev = line
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if line is not None:
            start = prev = line
    shown = ", ".join(parts[:limit]) + (", …" if len(parts) > limit else "")
    return f"line{'s' if len(ordered) > 1 else ''} {shown}"


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 written without a byte-order mark: every other byte of ASCII text is zero."""
    if len(head) < 4:
        return None
    even_zero = head[0::2].count(0) / len(head[0::2])
    odd_zero = head[1::2].count(0) / len(head[1::2])
    if odd_zero > 0.4 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.4 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def _refuse_binary(data: bytes, name: str) -> None:
    head = data[:4096]
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        raise DataValidationError(
            f"{name} is not a CSV file (it holds binary data, such as an Excel workbook, a PDF "
            "or a zip). Save it as 'CSV (comma delimited)' and upload that."
        )


def _single_byte(data: bytes) -> tuple[str, str]:
    """Windows-1252 for most Western exports; Latin-9 where the currency sign byte (0xA4) is
    the euro; Latin-1 for bytes Windows-1252 leaves undefined."""
    if b"\xa4" in data and b"\x80" not in data:
        return data.decode("iso8859_15"), "Latin-9 (ISO-8859-15)"
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1 (ISO-8859-1)"


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """The file's text with '\\n' line ends, and the name of the encoding it was read in."""
    if not data.strip():
        raise DataValidationError(f"{name} is empty: export the data again with a header row.")
    text: str | None = None
    label = "UTF-8"
    for bom, codec, bom_label in _BOMS:
        if data.startswith(bom):
            text, label = _decode(data[len(bom) :], codec, bom_label, name), bom_label
            break
    guessed = _utf16_without_bom(data[:4096]) if text is None else None
    if guessed is not None:
        text, label = _decode(data, guessed, "UTF-16", name), "UTF-16"
    if text is None:
        _refuse_binary(data, name)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, label = _single_byte(data)
    if len(_UNPRINTABLE.findall(text[:4096])) > _CONTROL_LIMIT or "\x00" in text[:4096]:
        raise DataValidationError(
            f"{name} does not read as text in {label}: it is not a CSV file. Export it as CSV "
            "(UTF-8)."
        )
    if "\r" in text:
        # Windows (CRLF) and old Mac (CR only) line ends both become one line end.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.lstrip("\ufeff"), label


def _decode(data: bytes, codec: str, label: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            f"{name} starts like {label} text but byte {exc.start} is not valid {label}: "
            "export it again as CSV (UTF-8)."
        ) from None
