"""A live RTSP camera for ``rtcc bench video --mode latency``: every frame carries the wall-clock
time it was made, as a machine-readable pattern, encoded to H.264 in real time.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0, x264enc), not the
venv:  /usr/bin/python3 videostamp_server.py --port 8554 [--path /live --fps 25]
Prints "ready" once listening.

The pattern (luma only, 16 × 4 squares of ``width // 16`` pixels in the top-left corner, white
= 1, black = 0, most significant bit first): rows 0–2 hold the epoch milliseconds (48 bits,
taken just before the frame enters the encoder), row 3 the complement of row 2 (a check that
rejects a frame read half-way through a change). Below it a bar moves, so the encoder and the
player see motion like a real camera.
"""

import argparse
import signal
import sys
import threading
import time

import gi  # type: ignore[import-not-found,unused-ignore]

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found,unused-ignore]  # noqa: E402, I001

WHITE, BLACK, GREY = 235, 16, 128
BITS_PER_ROW = 16


def pattern_rows(ms: int) -> list[int]:
    """The four 16-bit rows of the pattern of ``ms``."""
    low = ms & 0xFFFF
    return [(ms >> 32) & 0xFFFF, (ms >> 16) & 0xFFFF, low, 0xFFFF - low]


class Frames:
    """I420 frames of ``width`` × ``height`` stamped with the time they are made."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.block = width // BITS_PER_ROW
        self.chroma = bytes([GREY]) * (width * height // 2)
        self._on = bytes([WHITE]) * self.block
        self._off = bytes([BLACK]) * self.block
        self._pad = bytes([GREY]) * (width - self.block * BITS_PER_ROW)

    def make(self, index: int, ms: int) -> bytes:
        w, b = self.width, self.block
        parts = []
        for row in pattern_rows(ms):
            line = (
                b"".join(
                    self._on if row >> (15 - i) & 1 else self._off for i in range(BITS_PER_ROW)
                )
                + self._pad
            )
            parts.append(line * b)
        x = (index * 8) % (w - 32)
        bar = bytes([GREY]) * x + bytes([WHITE]) * 32 + bytes([GREY]) * (w - x - 32)
        parts.append(bar * (self.height - 4 * b))
        parts.append(self.chroma)
        return b"".join(parts)


class Feeder:
    """Pushes a stamped frame into one media's ``appsrc`` every 1/fps s, in real time."""

    def __init__(self, appsrc: object, frames: Frames, fps: int) -> None:
        self.appsrc, self.frames, self.fps = appsrc, frames, fps
        self.stop, self.lock, self.started = threading.Event(), threading.Lock(), False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self, *_: object) -> None:
        """Start on the first ``need-data`` (the pipeline is playing), once."""
        with self.lock:
            if not self.started:
                self.started = True
                self.thread.start()

    def run(self) -> None:
        start, index = time.monotonic(), 0
        while not self.stop.is_set():
            due = start + index / self.fps
            delay = due - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                return
            data = self.frames.make(index, int(time.time() * 1000))
            ret = self.appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(data))  # type: ignore[attr-defined]
            if ret not in (Gst.FlowReturn.OK, Gst.FlowReturn.FLUSHING):
                return
            index += 1


def build(args: argparse.Namespace) -> GstRtspServer.RTSPServer:
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    caps = f"video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1"
    factory.set_launch(
        f"( appsrc name=src is-live=true format=time do-timestamp=true caps={caps} "
        f"! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max={args.fps} "
        "bitrate=1500 ! video/x-h264,profile=constrained-baseline ! h264parse "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(False)
    frames = Frames(args.width, args.height)

    def configure(_factory: object, media: GstRtspServer.RTSPMedia) -> None:
        appsrc = media.get_element().get_child_by_name("src")
        feeder = Feeder(appsrc, frames, args.fps)
        appsrc.connect("need-data", feeder.start)
        media.connect("unprepared", lambda _m: feeder.stop.set())

    factory.connect("media-configure", configure)
    server.get_mount_points().add_factory(args.path, factory)
    return server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/live")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=25)
    args = parser.parse_args()
    Gst.init(None)
    server = build(args)
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print("cannot listen", flush=True)
        return 1
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print("ready", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
