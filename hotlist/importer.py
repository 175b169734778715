"""Reading hotlist files into validated entries; a bad file is rejected whole."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from rtcc.errors import InvalidInputError
from rtcc.plates import MAX_PLATE_LENGTH, normalize_plate


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str


class HotlistImportError(InvalidInputError):
    code = "hotlist_import_error"

    def __init__(self, source: str, errors: list[LineError]) -> None:
        shown = "; ".join(f"line {e.line}: {e.reason}" for e in errors[:20])
        more = f" (+{len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(
            f"{source}: {len(errors)} bad line(s): {shown}{more}",
            errors=[{"line": e.line, "reason": e.reason} for e in errors],
        )
        self.errors = errors


@dataclass
class ParsedEntry:
    line: int
    plate: str
    state: str | None = None
    reason: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def parse_csv(text: str, *, source: str) -> list[ParsedEntry]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "plate" not in fields:
        raise HotlistImportError(source, [LineError(1, "header has no 'plate' column")])
    reader.fieldnames = fields
    entries, errors = [], []
    for row in reader:
        line = reader.line_num
        raw = (row.get("plate") or "").strip()
        plate = normalize_plate(raw)
        if not plate:
            errors.append(LineError(line, f"plate {raw!r} has no letters or digits"))
            continue
        if len(plate) > MAX_PLATE_LENGTH:
            errors.append(LineError(line, f"plate {raw!r} is longer than {MAX_PLATE_LENGTH}"))
            continue
        state = (row.get("state") or "").strip().upper() or None
        reason = (row.get("reason") or "").strip() or None
        extra = {k: v for k, v in row.items() if k not in {"plate", "state", "reason"} and v}
        entries.append(ParsedEntry(line, plate, state, reason, extra))
    if errors:
        raise HotlistImportError(source, errors)
    return entries


def read_file(path: Path) -> list[ParsedEntry]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read hotlist file: {exc.strerror}") from None
    return parse_csv(text, source=str(path))
