"""Reading hotlist files into validated entries; a bad file is rejected whole.

``parse_text`` / ``read_file`` return the good entries; if any line is bad they raise
``HotlistImportError`` listing every bad line and its reason, unless ``skip_bad`` is set, in
which case the bad lines are returned as ``skipped`` and nothing about them is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hotlist.formats import (
    FORMATS,
    LineError,
    NcicLayout,
    Parsed,
    ParsedEntry,
    parse_csv,
    parse_delimited,
    parse_ncic,
)
from rtcc.errors import InvalidInputError
from rtcc.schemas.types import no_nul

__all__ = [
    "FORMATS",
    "HotlistImportError",
    "ImportFile",
    "LineError",
    "NcicLayout",
    "ParsedEntry",
    "parse_text",
    "read_file",
]


MAX_SOURCE = 200  # rtcc.models.Hotlist.source


class HotlistImportError(InvalidInputError):
    code = "hotlist_import_error"

    def __init__(self, source: str, errors: list[LineError]) -> None:
        shown = "; ".join(f"line {e.line}: {e.reason}" for e in errors[:20])
        more = f" (+{len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(
            f"{source}: {len(errors)} bad line(s), nothing imported: {shown}{more}",
            errors=[{"line": e.line, "reason": e.reason} for e in errors[:1000]],
            error_count=len(errors),
        )
        self.errors = errors


@dataclass
class ImportFile:
    """The outcome of reading one file: entries to import and lines skipped (with reasons:
    bad lines under ``skip_bad``, and repeated plate-and-state lines, imported once)."""

    source: str
    format: str
    entries: list[ParsedEntry]
    skipped: list[LineError] = field(default_factory=list)


def parse_text(
    text: str,
    *,
    format: str,
    source: str = "upload",
    skip_bad: bool = False,
    layout: NcicLayout | None = None,
    delimiter: str | None = None,
) -> ImportFile:
    if format not in FORMATS:
        raise InvalidInputError(
            f"unknown hotlist format {format!r} (one of {', '.join(FORMATS)})", field="format"
        )
    _check_source(source)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise HotlistImportError(source, [LineError(line, "contains a NUL character")])
    parsed: Parsed
    if format == "csv":
        parsed = parse_csv(text)
    elif format == "delimited":
        parsed = parse_delimited(text, delimiter)
    else:
        parsed = parse_ncic(text, layout)
    header_bad = any(e.line == 1 and "header" in e.reason for e in parsed.errors)
    if parsed.errors and (not skip_bad or header_bad):
        raise HotlistImportError(source, parsed.errors)
    entries, duplicates = _unique(parsed.entries)
    return ImportFile(source, format, entries, parsed.errors + duplicates)


def _unique(entries: list[ParsedEntry]) -> tuple[list[ParsedEntry], list[LineError]]:
    """One entry per plate and state (the first line wins); later lines are reported."""
    first: dict[tuple[str, str | None], int] = {}
    kept: list[ParsedEntry] = []
    duplicates: list[LineError] = []
    for e in entries:
        key = (e.plate, e.state)
        if key in first:
            duplicates.append(
                LineError(e.line, f"same plate and state as line {first[key]}: not imported twice")
            )
            continue
        first[key] = e.line
        kept.append(e)
    return kept, duplicates


def _check_source(source: str) -> None:
    """The file name is stored with the list (``hotlist.source``, 200 characters)."""
    if len(source) > MAX_SOURCE:
        raise InvalidInputError(
            f"file name longer than {MAX_SOURCE} characters: {source[:40]!r}...", field="file"
        )
    try:
        no_nul(source)
    except ValueError as exc:
        raise InvalidInputError(f"file name {exc}", field="file") from None


def decode(data: bytes, *, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{source}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None


def read_file(
    path: Path,
    *,
    format: str = "csv",
    skip_bad: bool = False,
    layout: NcicLayout | None = None,
) -> ImportFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read hotlist file: {exc.strerror}") from None
    text = decode(data, source=str(path))
    return parse_text(text, format=format, source=str(path), skip_bad=skip_bad, layout=layout)
