#!/usr/bin/python3
"""A real RTSP server for ingest tests: GStreamer's gst-rtsp-server serving an
H.264 MP4 clip (or a live test pattern) at rtsp://127.0.0.1:PORT/MOUNT.

Run with Debian's /usr/bin/python3 (it has gi + GstRtspServer). Prints
"READY <port>" on stdout once it listens. Each client gets its own pipeline,
so a reconnecting camera starts the clip again.
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port')
    parser.add_argument('--mount', default='/river')
    parser.add_argument('--clip', help='MP4 file with an H.264 video track; default: live test pattern')
    parser.add_argument('--fps', type=int, default=10, help='test pattern frame rate')
    args = parser.parse_args()

    Gst.init(None)
    if args.clip:
        launch = f'( filesrc location="{args.clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
    else:
        launch = (
            f'( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate={args.fps}/1 '
            '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! rtph264pay name=pay0 pt=96 config-interval=1 )'
        )
    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(False)
    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print(f'could not listen on port {args.port}', file=sys.stderr, flush=True)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f'READY {server.get_bound_port()}', flush=True)
    loop.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
