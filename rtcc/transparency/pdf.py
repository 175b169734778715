"""The PDF is the HTML page printed by headless Chromium (one layout for screen and paper)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from rtcc.errors import RtccError
from rtcc.headless import HEADLESS_ARGS


class PdfRenderError(RtccError):
    status_code = 503
    code = "pdf_unavailable"


def html_to_pdf(html: str, *, chromium: str, timeout_s: float = 60.0) -> bytes:
    """Print ``html`` to PDF bytes (A4/Letter per Chromium's default, no header or footer)."""
    with tempfile.TemporaryDirectory(prefix="rtcc-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [chromium, *HEADLESS_ARGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               "--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except FileNotFoundError:
            raise PdfRenderError(f"cannot render PDF: {chromium} not found") from None
        except subprocess.TimeoutExpired:
            raise PdfRenderError(f"cannot render PDF: {chromium} took over {timeout_s} s") \
                from None
        if not out.exists() or out.stat().st_size == 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise PdfRenderError(f"cannot render PDF: chromium exit {proc.returncode}: {tail[0]}")
        return out.read_bytes()
