"""The live stream's hand-over from muxer threads to the viewers on the event loop
(``web/routes/video.py``): fragments arrive in order, one ``bytes`` shared by every viewer, the
end of the stream ends the viewer's response, and every viewer of one real demux gets the init
segment first and playable fragmented MP4."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import av

from cameras.live import LiveHub
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings
from tests.support.clips import write_clip
from web.routes.video import LiveBridge, LiveViewer, live_fragments


def test_fragments_posted_from_a_thread_arrive_in_order_and_the_end_ends_the_viewer() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], bool]:
        bridge = LiveBridge(asyncio.get_running_loop())
        one, two = LiveViewer(), LiveViewer()
        sent = [bytes([i]) * (i + 1) for i in range(200)]

        def muxer() -> None:  # a burst, as a muxer thread sends it
            for data in sent:
                bridge.post(one, data)
                bridge.post(two, data)
            bridge.post(one, None)

        thread = threading.Thread(target=muxer)
        thread.start()
        await asyncio.to_thread(thread.join)
        for _ in range(10):  # let the loop run the delivery
            await asyncio.sleep(0)
        return one.chunks, two.chunks, one.ended and not two.ended

    first, second, only_first_ended = asyncio.run(scenario())
    expected = [bytes([i]) * (i + 1) for i in range(200)]
    assert first == expected and second == expected
    assert all(a is b for a, b in zip(first, second, strict=True))  # one bytes, shared
    assert only_first_ended


def test_each_viewer_of_one_demux_starts_with_the_init_segment_and_plays(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", seconds=3, passes=[(0.5, 1.5)])
    cam = CameraSettings(id="c", url=str(clip.path))  # loops at real-time pace
    hub = LiveHub(SystemClock(), linger_s=0.5)

    async def watch(seconds: float) -> bytes:
        got = bytearray()
        stream = live_fragments(hub, cam, "main")
        try:
            async with asyncio.timeout(seconds):
                async for chunk in stream:
                    got += chunk
        except TimeoutError:
            pass
        finally:
            await stream.aclose()
        return bytes(got)

    async def viewers_of_the_demux() -> list[int]:
        await asyncio.sleep(1.0)
        return [m.viewers for m in hub.muxers()]

    async def both() -> tuple[list[bytes], list[int]]:
        a, b, demuxes = await asyncio.gather(watch(3.0), watch(2.0), viewers_of_the_demux())
        return [a, b], demuxes

    try:
        streams, demuxes = asyncio.run(both())
    finally:
        hub.close()
    assert demuxes == [2]  # one demux for both viewers
    for i, data in enumerate(streams):
        assert data[4:8] == b"ftyp"
        path = tmp_path / f"live{i}.mp4"
        path.write_bytes(data)
        with av.open(str(path)) as container:
            frames = list(container.decode(video=0))
        assert len(frames) >= 10 and frames[0].key_frame
