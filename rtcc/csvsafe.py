"""The one CSV writer for every export: cells that a spreadsheet would run as a formula are
neutralised (OWASP "CSV injection").

A text cell starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe, so
``=HYPERLINK(...)`` in a failed-login username or ``+cmd|...`` in a case number is shown as text.
Numbers stay numbers (a negative longitude is not a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` ready for a CSV cell: None -> empty, risky text prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document (header row first), every cell through :func:`safe_cell`."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def csv_from_dicts(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Like :func:`csv_text` for mappings; keys not in ``columns`` are left out."""
    return csv_text(columns, ([row.get(c) for c in columns] for row in rows))
