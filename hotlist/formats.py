"""Hotlist file formats: CSV with a header, delimited ``PLATE;STATE`` text, NCIC fixed width.

Each parser returns every good line as a ``ParsedEntry`` and every bad one as a ``LineError``
(1-based line numbers); the importer decides whether to reject the file or skip the bad lines.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from rtcc.plates import MAX_PLATE_LENGTH
from rtcc.schemas.types import utc
from rtcc.vocab import HotlistFormat, values

FORMATS = values(HotlistFormat)
CSV_FIELDS = ("plate", "state", "reason", "case_number", "expires_at", "description")
DELIMITERS = (";", "\t", ",", ":")
_NOT_PLATE = re.compile(r"[^A-Z0-9*?]")
_STATE = re.compile(r"^[A-Z0-9]{1,8}$")
# Columns with a length (rtcc.models.HotlistEntry): longer values are a line error.
FIELD_LIMITS = {"case_number": 64}

NCIC_KINDS = {
    "V": "stolen vehicle",
    "P": "stolen plate",
    "F": "felony vehicle",
    "W": "wanted person",
    "M": "missing person",
    "A": "AMBER alert",
    "X": "sex offender",
    "T": "gang / terrorist",
    "S": "supervised release",
    "B": "BOLO",
    "C": "protection order",
    "D": "deported felon",
}


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    reason: str


@dataclass(slots=True)
class ParsedEntry:
    line: int
    plate: str
    state: str | None = None
    reason: str | None = None
    case_number: str | None = None
    expires_at: datetime | None = None
    description: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_wildcard(self) -> bool:
        return "*" in self.plate or "?" in self.plate


@dataclass
class Parsed:
    entries: list[ParsedEntry] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


def _not_ascii(raw: str, what: str) -> str | None:
    """Why ``raw`` is refused (it has a non-ASCII character), or None.

    Plates are never transliterated: Cyrillic ``А`` looks like ``A`` but is another letter, and
    case folding turns the ligature ``ﬁ`` into ``FI``; either would silently change the plate
    that alerts (a false-hit generator), so such a line is an error the list owner fixes."""
    for ch in raw:
        if not ch.isascii():
            return (
                f"{what} {raw.strip()!r} has the non-ASCII character {ch!r} "
                f"(U+{ord(ch):04X}); only A-Z and 0-9 are plate characters"
            )
    return None


def clean_plate(raw: str) -> tuple[str | None, str | None]:
    """Normalised plate (wildcards ``*``/``?`` kept) or (None, reason)."""
    if (why := _not_ascii(raw, "plate")) is not None:
        return None, why
    plate = _NOT_PLATE.sub("", raw.upper())
    literal = sum(ch not in "*?" for ch in plate)
    if not plate:
        return None, f"plate {raw.strip()!r} has no letters or digits"
    if literal > MAX_PLATE_LENGTH or len(plate) > 16:
        return None, f"plate {raw.strip()!r} is longer than {MAX_PLATE_LENGTH} characters"
    if literal != len(plate) and literal < 2:
        return None, f"wildcard plate {raw.strip()!r} needs at least 2 letters or digits"
    return plate, None


def is_state_code(text: str) -> bool:
    """``CA``, ``ON``: the shape of a state column (not an OCR's ``United States``)."""
    return _STATE.match(text) is not None


def clean_state(raw: str | None) -> tuple[str | None, str | None]:
    if (why := _not_ascii(raw or "", "state")) is not None:
        return None, why
    state = (raw or "").strip().upper()
    if not state:
        return None, None
    if not _STATE.match(state):
        return None, f"state {raw!r} is not a 1-8 character code"
    return state, None


def parse_expiry(raw: str | None) -> tuple[datetime | None, str | None]:
    """ISO date (valid through that UTC day) or ISO datetime (naive = UTC)."""
    text = (raw or "").strip()
    if not text:
        return None, None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC), None
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return utc(at), None
    except (ValueError, OverflowError):
        return None, f"expires_at {text[:40]!r} is not an ISO date or date-time in range"


def _entry(line: int, plate_raw: str, state_raw: str | None, out: Parsed) -> ParsedEntry | None:
    plate, why = clean_plate(plate_raw)
    if why is None:
        state, why = clean_state(state_raw)
    if why is not None or plate is None:
        out.errors.append(LineError(line, why or "no plate"))
        return None
    entry = ParsedEntry(line, plate, state)
    out.entries.append(entry)
    return entry


def _rows(reader: Any, out: Parsed) -> Iterator[list[str]]:
    """The reader's rows; a malformed file (an unterminated quote, a field over the csv
    module's limit, a quoted field running over a line break) stops with its line number."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            out.errors.append(LineError(reader.line_num, f"malformed CSV: {exc}"))
            return
        if any("\n" in cell or "\r" in cell for cell in row):
            out.errors.append(
                LineError(
                    reader.line_num,
                    "malformed CSV: a quoted field runs over a line break (an unterminated quote?)",
                )
            )
            return
        yield row


def _long_field(row: list[str], col: dict[str, int]) -> str | None:
    for name, limit in FIELD_LIMITS.items():
        i = col.get(name)
        if i is not None and i < len(row) and len(row[i].strip()) > limit:
            return f"{name} is longer than {limit} characters"
    return None


def parse_csv(text: str) -> Parsed:
    out = Parsed()
    reader = csv.reader(io.StringIO(text), strict=True)
    rows = _rows(reader, out)
    header = next(rows, None)
    names = [h.strip().lower() for h in header or []]
    if "plate" not in names:
        out.errors.append(LineError(1, "header has no 'plate' column"))
        return out
    col = {name: names.index(name) for name in CSV_FIELDS if name in names}
    extras = [(i, n) for i, n in enumerate(names) if n not in CSV_FIELDS and n]
    width = len(names)
    for row in rows:
        line = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) > width:
            out.errors.append(LineError(line, f"{len(row)} fields, the header has {width}"))
            continue
        if (why := _long_field(row, col)) is not None:
            out.errors.append(LineError(line, why))
            continue
        row = row + [""] * (width - len(row))
        entry = _entry(line, row[col["plate"]], row[col["state"]] if "state" in col else None, out)
        if entry is None:
            continue
        entry.reason = _opt(row, col.get("reason"))
        entry.case_number = _opt(row, col.get("case_number"))
        entry.description = _opt(row, col.get("description"))
        if "expires_at" in col:
            entry.expires_at, why = parse_expiry(row[col["expires_at"]])
            if why:
                out.entries.pop()
                out.errors.append(LineError(line, why))
                continue
        entry.extra = {n: row[i].strip() for i, n in extras if row[i].strip()}
    return out


def _opt(row: list[str], i: int | None) -> str | None:
    return (row[i].strip() or None) if i is not None else None


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample lines most consistently (default ``;``)."""
    sample = [ln for ln in lines[:50] if ln.strip() and not ln.startswith("#")]
    best, best_score = ";", 0
    for delim in DELIMITERS:
        hits = sum(1 for ln in sample if delim in ln)
        if hits > best_score:
            best, best_score = delim, hits
    return best


def parse_delimited(text: str, delimiter: str | None = None) -> Parsed:
    out = Parsed()
    lines = text.splitlines()
    delim = delimiter or detect_delimiter(lines)
    for n, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split(delim)
        if len(parts) > 2:
            out.errors.append(
                LineError(
                    n, f"{len(parts)} fields separated by {delim!r}, expected PLATE or PLATE;STATE"
                )
            )
            continue
        _entry(n, parts[0], parts[1] if len(parts) > 1 else None, out)
    return out


@dataclass(frozen=True)
class NcicLayout:
    """Column ranges ``[start, end)`` of an NCIC-style fixed-width extract (end None = to EOL)."""

    header_lines: int = 1
    kind: tuple[int, int | None] = (0, 1)
    record_id: tuple[int, int | None] = (1, 10)
    ori: tuple[int, int | None] = (10, 19)
    incident_date: tuple[int, int | None] = (19, 27)
    plate: tuple[int, int | None] = (27, 37)
    state: tuple[int, int | None] = (37, 39)
    tag_year: tuple[int, int | None] = (39, 43)
    vehicle_year: tuple[int, int | None] = (45, 49)
    make: tuple[int, int | None] = (49, 53)
    model: tuple[int, int | None] = (53, 56)
    colour: tuple[int, int | None] = (58, None)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> NcicLayout:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown NCIC layout field(s): {', '.join(sorted(unknown))}")
        fixed = {k: (v if k == "header_lines" else tuple(v)) for k, v in data.items()}
        return cls(**fixed)  # type: ignore[arg-type]


def parse_ncic(text: str, layout: NcicLayout | None = None) -> Parsed:
    lay = layout or NcicLayout()
    out = Parsed()
    need = lay.state[1] or lay.plate[1] or 0
    for n, raw in enumerate(text.splitlines(), start=1):
        if n <= lay.header_lines or not raw.strip():
            continue
        if len(raw) < need:
            out.errors.append(
                LineError(n, f"line has {len(raw)} characters, the layout needs {need}")
            )
            continue

        def cut(span: tuple[int, int | None], raw: str = raw) -> str:
            return raw[span[0] : span[1]].strip()

        code = cut(lay.kind).upper()
        if code not in NCIC_KINDS:
            out.errors.append(
                LineError(n, f"unknown list-type code {code!r} at column {lay.kind[0]}")
            )
            continue
        entry = _entry(n, cut(lay.plate), cut(lay.state), out)
        if entry is None:
            continue
        entry.reason = NCIC_KINDS[code]
        entry.case_number = cut(lay.record_id) or None
        vehicle = " ".join(
            p for p in (cut(lay.vehicle_year), cut(lay.make), cut(lay.model), cut(lay.colour)) if p
        )
        entry.description = vehicle or None
        entry.extra = {
            k: v
            for k, v in (
                ("type_code", code),
                ("ori", cut(lay.ori)),
                ("incident_date", cut(lay.incident_date)),
                ("tag_year", cut(lay.tag_year)),
            )
            if v
        }
    return out
