"""Headless Chromium: where Debian puts it and the one set of flags the product (PDF reports),
the benchmarks (live-video latency) and the browser tests launch it with."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package ``chromium``
HEADLESS_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)
# A page that plays video by itself (no user gesture in a headless browser).
PLAYBACK_ARGS: tuple[str, ...] = (*HEADLESS_ARGS, "--autoplay-policy=no-user-gesture-required")
