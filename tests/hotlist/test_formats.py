"""File formats and the whole-file rejection rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotlist.formats import NcicLayout, detect_delimiter
from hotlist.importer import HotlistImportError, parse_text, read_file
from rtcc.errors import InvalidInputError

NCIC_LINE = "V123456789LA057020020190509AB123456  CA2009MC2009YAMACYLMCBLK"


def test_csv_all_fields_and_extra_columns_kept() -> None:
    text = (
        "plate,state,reason,case_number,expires_at,description,colour\n"
        "abc-1234,ca,stolen,C-1,2026-05-01,red Civic,red\n"
        "XYZ 987,,,,,,\n"
        "AB*,,partial,,,,\n"
    )
    out = parse_text(text, format="csv")
    first, second, wild = out.entries
    assert (first.line, first.plate, first.state, first.reason, first.case_number) == (
        2,
        "ABC1234",
        "CA",
        "stolen",
        "C-1",
    )
    # A date means "through that day": expired from the next midnight UTC.
    assert first.expires_at == datetime(2026, 5, 2, tzinfo=UTC)
    assert first.description == "red Civic" and first.extra == {"colour": "red"}
    assert second.plate == "XYZ987" and second.state is None and second.expires_at is None
    assert wild.plate == "AB*" and wild.is_wildcard


def test_csv_bad_lines_reject_whole_file_with_every_line_and_reason() -> None:
    text = (
        "plate,state,expires_at\n"
        "GOOD1,CA,\n"
        "!!!,CA,\n"
        "GOOD2,TOOLONGSTATE,\n"
        "GOOD3,CA,tomorrow\n"
        "ABCDEFGHIJKL,,\n"
        "*,,\n"
    )
    with pytest.raises(HotlistImportError) as err:
        parse_text(text, format="csv", source="list.csv")
    lines = {e.line: e.reason for e in err.value.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "no letters or digits" in lines[3]
    assert "state" in lines[4]
    assert "expires_at" in lines[5]
    assert "longer than" in lines[6]
    assert "wildcard" in lines[7]
    assert "list.csv: 5 bad line(s), nothing imported" in err.value.message


def test_skip_bad_imports_the_rest_and_reports_skipped_lines() -> None:
    out = parse_text("plate\nGOOD1\n???\nGOOD2\n", format="csv", skip_bad=True)
    assert [e.plate for e in out.entries] == ["GOOD1", "GOOD2"]
    assert [(s.line, "no letters" in s.reason or "wildcard" in s.reason) for s in out.skipped] == [
        (3, True)
    ]


def test_csv_without_plate_column_is_rejected_even_with_skip_bad() -> None:
    with pytest.raises(HotlistImportError, match="no 'plate' column"):
        parse_text("tag,state\nABC,CA\n", format="csv", skip_bad=True)


@pytest.mark.parametrize("delim", [";", ",", "\t", ":"])
def test_delimited_detects_the_delimiter(delim: str) -> None:
    text = f"ABC123{delim}CA\nXYZ987{delim}NY\nNOSTATE1\n"
    assert detect_delimiter(text.splitlines()) == delim
    out = parse_text(text, format="delimited")
    assert [(e.plate, e.state) for e in out.entries] == [
        ("ABC123", "CA"),
        ("XYZ987", "NY"),
        ("NOSTATE1", None),
    ]


def test_delimited_reports_lines_with_too_many_fields() -> None:
    with pytest.raises(HotlistImportError) as err:
        parse_text("ABC123;CA\nX;Y;Z\n\n# comment\nBAD!!;CALIFORNIA1\n", format="delimited")
    assert [e.line for e in err.value.errors] == [2, 5]


def test_ncic_default_layout_reads_the_issue_example() -> None:
    out = parse_text(f"NCIC EXTRACT 2019-05-09\n{NCIC_LINE}\n", format="ncic")
    (entry,) = out.entries
    assert (entry.line, entry.plate, entry.state) == (2, "AB123456", "CA")
    assert entry.reason == "stolen vehicle"
    assert entry.case_number == "123456789"
    assert entry.description == "2009 YAMA CYL BLK"
    assert entry.extra == {
        "type_code": "V",
        "ori": "LA0570200",
        "incident_date": "20190509",
        "tag_year": "2009",
    }


def test_ncic_bad_lines_and_custom_layout() -> None:
    with pytest.raises(HotlistImportError) as err:
        parse_text(f"HDR\n{NCIC_LINE}\nQ{NCIC_LINE[1:]}\nV12345\n", format="ncic")
    assert [(e.line, e.reason.split()[0]) for e in err.value.errors] == [
        (3, "unknown"),
        (4, "line"),
    ]
    layout = NcicLayout.from_mapping({"header_lines": 0, "plate": [1, 8], "state": [8, 10]})
    out = parse_text("PABC1234TX\n", format="ncic", layout=layout)
    assert [(e.plate, e.state, e.reason) for e in out.entries] == [
        ("ABC1234", "TX", "stolen plate")
    ]
    with pytest.raises(ValueError, match="unknown NCIC layout"):
        NcicLayout.from_mapping({"plates": [1, 2]})


def test_read_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        read_file(tmp_path / "missing.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"plate\nABC\xe9\n")
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        read_file(bad)
    with pytest.raises(InvalidInputError, match="unknown hotlist format"):
        parse_text("x", format="xml")
