"""Camera CSV: path-unsafe ids, NULs and fields over the csv limit are named by line, never a
traceback (issue 14)."""

from __future__ import annotations

import pytest

from cameras.csvimport import CameraImportError, parse_cameras
from rtcc.config import CameraSettings


@pytest.mark.parametrize("bad", ["..", ".", ".hidden", "a/b", "a\x00b"])
def test_path_unsafe_ids_are_bad_lines(bad: str) -> None:
    parsed = parse_cameras(f"id,url\ngood-1,/v.mp4\n{bad},/v.mp4\n")
    assert [spec.id for _, spec in parsed.cameras] == ["good-1"]
    assert [b.line for b in parsed.bad] == [3] and "id" in parsed.bad[0].reason
    with pytest.raises(ValueError, match="id"):
        CameraSettings(id=bad, url="/v.mp4")


def test_nul_in_a_name_is_a_bad_line() -> None:
    parsed = parse_cameras("id,name,url\ncam-1,Gate\x001,/v.mp4\n")
    assert [b.line for b in parsed.bad] == [2] and "control" in parsed.bad[0].reason


def test_oversized_field_and_open_quote_refuse_the_file_with_the_line() -> None:
    with pytest.raises(CameraImportError, match="line 3: malformed CSV"):
        parse_cameras("id,name,url\ncam-1,a,/v.mp4\ncam-2," + "n" * 131_073 + ",/v.mp4\n")
    with pytest.raises(CameraImportError, match="malformed CSV"):
        parse_cameras('id,name,url\ncam-1,"Gate,/v.mp4\ncam-2,b,/w.mp4\n')
