"""A small real RTSP server (GStreamer's gst-rtsp-server) serving an H.264 MP4, for the tests
and ``rtcc bench video``.

Run with Debian's /usr/bin/python3 (python3-gi + gir1.2-gst-rtsp-server-1.0), not the venv:
    /usr/bin/python3 rtsp_server.py --port 8554 --path /cam --file clip.mp4 [--user U --password P]
    [--count N]   (N mounts: /cam0 … /cam<N-1>, each its own session of the file)
    [--report-clients]   (prints "client+" when an RTSP client connects, "client-" when it leaves)
The video is sent by stream copy (no re-encoding). Prints "ready" once listening.
"""

import argparse
import signal
import sys

import gi  # type: ignore[import-not-found,unused-ignore]

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found,unused-ignore]  # noqa: E402, I001


def build(args: argparse.Namespace) -> GstRtspServer.RTSPServer:
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( filesrc location="{args.file}" ! qtdemux ! h264parse '
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(False)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "viewer")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        role = Gst.Structure.from_string(
            "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )[0]
        factory.add_role_from_structure(role)
    mounts = server.get_mount_points()
    if args.count:
        for i in range(args.count):
            mounts.add_factory(f"{args.path}{i}", factory)
    else:
        mounts.add_factory(args.path, factory)
    return server


def report_clients(server: GstRtspServer.RTSPServer) -> None:
    """One line per client that connects or leaves (the tests count camera sessions)."""

    def closed(_client: GstRtspServer.RTSPClient) -> None:
        print("client-", flush=True)

    def connected(_server: GstRtspServer.RTSPServer, client: GstRtspServer.RTSPClient) -> None:
        client.connect("closed", closed)
        print("client+", flush=True)

    server.connect("client-connected", connected)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--file", required=True)
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--report-clients", action="store_true")
    args = parser.parse_args()
    Gst.init(None)
    server = build(args)
    if args.report_clients:
        report_clients(server)
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
