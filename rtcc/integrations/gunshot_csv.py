"""Past gunshot alerts from a CSV file (header ``id,type,rounds,latitude,longitude,address,
detected_at``; ``rounds`` and ``address`` may be empty). The whole file is rejected when a
line is bad, naming the line and the field."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rtcc.errors import InvalidInputError
from rtcc.integrations.gunshot import GunshotAlertIn

COLUMNS = ("id", "type", "rounds", "latitude", "longitude", "address", "detected_at")
REQUIRED = {"id", "type", "latitude", "longitude", "detected_at"}
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class CsvAlert:
    line: int
    alert: GunshotAlertIn
    data: dict[str, Any]


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = {h.strip() for h in reader.fieldnames or []}
        missing = sorted(REQUIRED - header)
        if missing:
            raise InvalidInputError(
                f"{path}: line 1: header lacks {', '.join(missing)}", line=1, field=missing[0]
            )
        try:
            for row in reader:
                yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"{path}: line {reader.line_num}: {exc}",
                                    line=reader.line_num) from None


def read_alerts(path: Path) -> list[CsvAlert]:
    """Every alert of the file, validated like the API's (raises on the first bad line)."""
    out: list[CsvAlert] = []
    for line, row in _rows(path):
        if len(out) >= MAX_ROWS:
            raise InvalidInputError(f"{path}: more than {MAX_ROWS} rows", line=line)
        data: dict[str, Any] = {k: row.get(k) or None for k in COLUMNS}
        try:
            alert = GunshotAlertIn.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "row"
            raise InvalidInputError(
                f"{path}: line {line}: {field}: {err['msg']}", line=line, field=field
            ) from None
        out.append(CsvAlert(line, alert, {k: v for k, v in data.items() if v is not None}))
    return out
