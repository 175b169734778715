"""Where the console's files are (served by the app; nothing comes from the internet)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
