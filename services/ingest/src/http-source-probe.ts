import type { SourceKind } from './camera-source.ts';

/**
 * Tells an MJPEG stream from a snapshot URL by the response's content type:
 * `image/*` answers one still image, anything else (multipart/x-mixed-replace)
 * is a stream. Reads only the headers, then aborts the body.
 */
export async function probeHttpSource(url: string, timeoutMs: number): Promise<SourceKind> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no HTTP response within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!res.ok) throw new Error(`HTTP ${res.status} from camera`);
    const type = (res.headers.get('content-type') ?? '').toLowerCase();
    return type.startsWith('image/') ? 'http-snapshot' : 'http-stream';
  } catch (err) {
    const reason = controller.signal.aborted ? (controller.signal.reason as Error) : (err as Error);
    throw new Error(`probe failed: ${reason.message}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
