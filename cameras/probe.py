"""A camera connection test: open the source, read one video packet, close.

What an administrator sees before saving a camera: whether it answers, and what it sends
(codec, size, frame rate) — or why not, in the same words the worker would use.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from cameras.sources import AvSource, SourceError
from rtcc.clock import Clock
from rtcc.config import CameraSettings


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    state: str  # online | offline | error: what the camera's state would be
    message: str  # credential-free
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    elapsed_s: float = 0.0


def probe(url: str, *, clock: Clock, timeout_s: float = 8.0, transport: str = "tcp") -> ProbeResult:
    """Open ``url`` and read its first video packet within about ``timeout_s``."""
    started = time.monotonic()
    cam = CameraSettings(id="probe", url=url, connect_timeout_s=timeout_s,
                         read_timeout_s=timeout_s, realtime=False, loop=False,
                         transport="udp" if transport == "udp" else "tcp")
    source = AvSource(cam, clock, wait=threading.Event().wait)
    try:
        source.open()
        packet = next(iter(source.packets()), None)
        if packet is None:
            raise SourceError(f"{source.where}: no video packet", state="offline")
        ctx = source.stream.codec_context
        return ProbeResult(
            ok=True, state="online", message=f"{source.where}: video received",
            codec=source.stream.codec_context.name, width=ctx.width or None,
            height=ctx.height or None, fps=round(source.nominal_fps, 2) or None,
            elapsed_s=round(time.monotonic() - started, 3),
        )
    except SourceError as exc:
        return ProbeResult(ok=False, state=exc.state, message=exc.message,
                           elapsed_s=round(time.monotonic() - started, 3))
    finally:
        source.close()
