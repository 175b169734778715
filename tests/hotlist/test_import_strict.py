"""Hotlist imports never change plates silently (issue 14): non-ASCII plates, malformed CSV,
oversized fields and NULs are line errors; one entry per plate and state, one hit per read."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hotlist.importer import HotlistImportError, parse_text
from rtcc.models import Hit, Hotlist, HotlistEntry
from rtcc.runtime.services import Services
from tests.support.hotlists import add_read, import_csv

HEADER = "plate,state,reason,case_number\n"


def _error(text: str, **kw: Any) -> HotlistImportError:
    with pytest.raises(HotlistImportError) as caught:
        parse_text(text, format=kw.pop("format", "csv"), **kw)
    return caught.value


@pytest.mark.parametrize("plate", ["АВ12СDE", "ﬁ12345", "AB12CDÉ"])
def test_non_ascii_plates_are_refused_with_the_line(plate: str) -> None:
    err = _error(HEADER + "GOOD123,CA,stolen,C-1\n" + f"{plate},CA,stolen,C-2\n")
    assert [(e.line, "non-ASCII" in e.reason) for e in err.errors] == [(3, True)]
    for fmt in ("delimited",):
        err = _error(f"GOOD123;CA\n{plate};CA\n", format=fmt)
        assert [e.line for e in err.errors] == [2]


def test_unterminated_quote_is_a_malformed_file() -> None:
    err = _error(HEADER + 'AB12CDE,CA,"stolen on the 3rd,C-1\nXY99ZZZ,NY,stolen,C-2\n')
    assert err.errors[0].line >= 2 and "malformed CSV" in err.errors[0].reason
    # a quote that closes on a later line would swallow that line into the reason
    err = _error(HEADER + 'AB12CDE,CA,"stolen\nXY99ZZZ,NY,stolen",C-2\n')
    assert "malformed CSV" in err.errors[0].reason


def test_oversized_fields_nul_and_long_case_numbers_name_the_line() -> None:
    big = _error(HEADER + "AB12CDE,CA,stolen,C-1\n" + "XY99ZZZ,CA," + "x" * 131_073 + ",C\n")
    assert big.errors[0].line == 3 and "field limit" in big.errors[0].reason
    nul = _error(HEADER + "AB12CDE,CA,sto\x00len,C-1\n")
    assert nul.errors[0].line == 2 and "NUL" in nul.errors[0].reason
    case = _error(HEADER + "AB12CDE,CA,stolen," + "C" * 65 + "\n")
    assert case.errors[0].line == 2 and "case_number" in case.errors[0].reason
    expiry = _error("plate,expires_at\nAB12CDE,9999-12-31T23:00:00-14:00\n")
    assert expiry.errors[0].line == 2 and "expires_at" in expiry.errors[0].reason


def test_duplicates_become_one_entry_and_are_reported(services: Services) -> None:
    add_read(services, "AB12CDE")
    imported = parse_text(HEADER + "AB12CDE,CA,stolen,C-1\nAB12CDE,CA,stolen again,C-2\n"
                          "AB12CDE,,any state,C-3\n", format="csv")
    assert [e.line for e in imported.entries] == [2, 4]
    assert [(s.line, "same plate and state as line 2" in s.reason)
            for s in imported.skipped] == [(3, True)]
    result = import_csv(services, "stolen", HEADER + "AB12CDE,,stolen,C-1\n"
                        "AB12CDE,,stolen,C-1\n",
                        list_fields={"alert_on_historical": True})
    assert result.added == 1 and len(result.skipped) == 1
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HotlistEntry)) == 1
        assert s.scalar(select(func.count()).select_from(Hit)) <= 1


def test_upload_answers_422_with_the_line_and_imports_nothing(
    services: Services, api_client: Any
) -> None:
    sup = api_client("supervisor")
    assert sup.post("/api/hotlists", json={"name": "stolen"}).status_code == 201
    for text, line in ((HEADER + "AB12CDE,CA,ok,C-1\nАВ12СDE,CA,cyrillic,C-2\n", 3),
                       (HEADER + 'AB12CDE,CA,"open quote,C-1\nXY99ZZZ,NY,x,C-2\n', 3)):
        resp = sup.post("/api/hotlists/import", data={"name": "stolen"},
                        files={"file": ("list.csv", text.encode(), "text/csv")})
        assert resp.status_code == 422, resp.text
        assert resp.json()["errors"][0]["line"] == line
    long_name = sup.post("/api/hotlists/import", data={"name": "stolen"},
                         files={"file": ("x" * 250 + ".csv", HEADER.encode(), "text/csv")})
    assert long_name.status_code == 422 and long_name.json()["field"] == "file"
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HotlistEntry)) == 0


def test_manual_entry_twice_is_a_conflict(services: Services, api_client: Any) -> None:
    sup = api_client("supervisor")
    list_id = sup.post("/api/hotlists", json={"name": "stolen"}).json()["id"]
    body = {"plate": "AB12CDE", "state": "CA", "reason": "stolen on 1 May",
            "case_number": "C-77"}
    assert sup.post(f"/api/hotlists/{list_id}/entries", json=body).status_code == 201
    again = sup.post(f"/api/hotlists/{list_id}/entries", json={**body, "plate": "ab 12 cde"})
    assert again.status_code == 409, again.text
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HotlistEntry)) == 1
        assert s.scalar(select(func.count()).select_from(Hotlist)) == 1
