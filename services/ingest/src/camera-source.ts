import { fileURLToPath } from 'node:url';

/**
 * How ffmpeg is told to read one camera. A snapshot URL (an HTTP endpoint
 * that answers one still image) is re-fetched by ffmpeg's image2 demuxer at
 * the camera's fps; an MJPEG stream is read continuously.
 */
export type SourceKind = 'rtsp' | 'http-stream' | 'http-snapshot' | 'file';

export class UnsupportedSourceError extends Error {
  override name = 'UnsupportedSourceError';
}

/** The scheme decides the kind; http(s) needs a probe to tell a stream from a snapshot. */
export function sourceScheme(sourceUrl: string): 'rtsp' | 'http' | 'file' {
  let url: URL;
  try {
    url = new URL(sourceUrl);
  } catch {
    throw new UnsupportedSourceError('source URL is not a valid URL');
  }
  switch (url.protocol) {
    case 'rtsp:':
    case 'rtsps:':
      return 'rtsp';
    case 'http:':
    case 'https:':
      return 'http';
    case 'file:':
      return 'file';
    default:
      throw new UnsupportedSourceError(`unsupported source scheme ${url.protocol} (rtsp, rtsps, http, https or file)`);
  }
}

export interface FfmpegInput {
  sourceUrl: string;
  kind: SourceKind;
  fps: number;
  maxWidth: number;
  /** Socket read/connect timeout: ffmpeg gives up on a silent peer after this. */
  ioTimeoutMs: number;
}

/** ffmpeg's arguments: decode the source, sample at fps, cap the width, write JPEGs to stdout. */
export function ffmpegArgs(input: FfmpegInput): string[] {
  const fps = formatNumber(input.fps);
  const timeoutUs = String(Math.max(1, Math.round(input.ioTimeoutMs * 1000)));
  // Probe at most 1 s of input: the first frame comes out sooner, and a camera's
  // stream parameters are known long before ffmpeg's 5 s default.
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-analyzeduration', '1000000', '-probesize', '1000000'];
  switch (input.kind) {
    case 'rtsp':
      // ffmpeg 5.x names the rtsp socket timeout `-timeout` (microseconds).
      args.push('-rtsp_transport', 'tcp', '-timeout', timeoutUs, '-i', input.sourceUrl);
      break;
    case 'http-stream':
      args.push('-rw_timeout', timeoutUs, '-i', input.sourceUrl);
      break;
    case 'http-snapshot':
      // image2 opens each fetch itself and takes no socket timeout: the stall watchdog covers a hung fetch.
      args.push('-f', 'image2', '-loop', '1', '-framerate', fps, '-re', '-i', input.sourceUrl);
      break;
    case 'file':
      // Looped at real-time pace, like a camera that never ends.
      args.push('-re', '-stream_loop', '-1', '-i', `file:${fileURLToPath(input.sourceUrl)}`);
      break;
  }
  const width = Math.max(2, Math.floor(input.maxWidth));
  args.push(
    '-an',
    '-sn',
    '-dn',
    '-vf',
    `fps=${fps},scale=w='min(iw,${width})':h=-2:flags=bilinear,format=yuvj420p`,
    '-c:v',
    'mjpeg',
    '-q:v',
    '4',
    '-f',
    'image2pipe',
    'pipe:1',
  );
  return args;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n) || n <= 0) throw new UnsupportedSourceError(`fps must be a positive number, got ${n}`);
  return Number.isInteger(n) ? String(n) : n.toFixed(6).replace(/0+$/, '');
}
