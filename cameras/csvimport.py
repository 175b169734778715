"""``rtcc cameras import FILE``: camera definitions from CSV, all good or rejected by line.

Columns (a header row names them, any order): ``id, name, url, detect_url, lat, lon, heading,
lpr, record, site`` — ``id`` and ``url`` required; optional ``enabled`` and ``pin_node``.
Booleans are ``true/false``, ``yes/no`` or ``1/0``; empty cells take the default.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from cameras.catalog import CameraSpec
from rtcc.errors import InvalidInputError

COLUMNS = ("id", "name", "url", "detect_url", "lat", "lon", "heading", "lpr", "record", "site")
OPTIONAL = ("enabled", "pin_node")
BOOLEANS = {"lpr", "record", "enabled"}
TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


@dataclass
class CameraFile:
    cameras: list[tuple[int, CameraSpec]] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)


class CameraImportError(InvalidInputError):
    """The file was rejected whole; ``lines`` names each bad line and why."""

    code = "camera_import_error"


def _cell(column: str, raw: str) -> object:
    value = raw.strip()
    if column in BOOLEANS:
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise ValueError(f"{column}: {raw!r} is not true/false")
    return value


def _spec(row: dict[str, str | None]) -> CameraSpec:
    data: dict[str, object] = {}
    for column, raw in row.items():
        if column is None or raw is None or not raw.strip():
            continue
        data[column] = _cell(column, raw)
    return CameraSpec.model_validate(data)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc)


def parse_cameras(text: str, *, source: str = "cameras.csv") -> CameraFile:
    """Every row checked; bad rows are collected with their line numbers, not raised. A file
    the csv module cannot read (a field over its 131,072-character limit, an unterminated
    quote) is refused whole, naming the line."""
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        return _parse(reader, source)
    except csv.Error as exc:
        line = reader.reader.line_num  # DictReader's own count is only updated after a row
        raise CameraImportError(f"{source}: line {line}: malformed CSV: {exc}", line=line
                                ) from None


def _parse(reader: csv.DictReader[str], source: str) -> CameraFile:
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS + OPTIONAL]
    missing = [h for h in ("id", "url") if h not in header]
    if unknown or missing:
        problems = [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        problems += [f"missing column(s) {', '.join(missing)}"] if missing else []
        raise CameraImportError(f"{source}: line 1: {'; '.join(problems)}", line=1)
    reader.fieldnames = header
    out, seen = CameraFile(), set[str]()
    for row in reader:
        line = reader.line_num
        if None in row:
            out.bad.append(BadLine(line, "more cells than columns"))
            continue
        try:
            spec = _spec(row)
        except (ValueError, ValidationError) as exc:
            out.bad.append(BadLine(line, _reason(exc)))
            continue
        if spec.id in seen:
            out.bad.append(BadLine(line, f"id {spec.id!r} appears twice in the file"))
            continue
        seen.add(spec.id)
        out.cameras.append((line, spec))
    return out


def read_cameras(path: Path, *, skip_bad: bool = False) -> CameraFile:
    """The file's cameras; raises :class:`CameraImportError` listing bad lines unless skipping."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc}") from None
    parsed = parse_cameras(text, source=str(path))
    if parsed.bad and not skip_bad:
        lines = "\n".join(f"  line {b.line}: {b.reason}" for b in parsed.bad)
        raise CameraImportError(
            f"{path}: {len(parsed.bad)} bad line(s), nothing imported (--skip-bad imports the"
            f" rest):\n{lines}",
            lines=[b.line for b in parsed.bad],
        )
    return parsed
