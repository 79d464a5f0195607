import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/**
 * A 1-2 MB image tensor crawls through HTTP/2's default 64 KiB flow-control
 * window: the client stalls for a WINDOW_UPDATE every 64 KiB, and on a busy
 * machine each stall waits for this process to be scheduled. grpc-js exposes
 * no server option for the window, so we set the HTTP/2 settings it passes to
 * node:http2 (before bind) and widen each session's connection window.
 * Both touch grpc-js internals; when they are missing, defaults stay.
 */
type Internals = {
  commonServerOptions?: { settings?: Record<string, number> };
  http2Servers?: Map<Http2Server, unknown>;
};

export function widenReceiveWindow(server: grpc.Server, windowBytes: number): boolean {
  const common = (server as unknown as Internals).commonServerOptions;
  if (!common) return false;
  // Frames up to 1 MiB for clients that size DATA frames by the peer's limit. node:http2 (grpc-js)
  // clients do not: they send 16 KiB frames whatever it is (a 737 KB request arrives as ~57 chunks).
  common.settings = { ...common.settings, initialWindowSize: windowBytes, maxFrameSize: 1 << 20 };
  return true;
}

/** After bind: the connection-level window (the stream-level one is in SETTINGS). */
export function widenSessionWindows(server: grpc.Server, windowBytes: number): void {
  const servers = (server as unknown as Internals).http2Servers;
  for (const h2 of servers?.keys() ?? []) {
    h2.on('session', (session: ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(windowBytes);
      } catch {
        // A session that closed at once: nothing to widen.
      }
    });
  }
}
