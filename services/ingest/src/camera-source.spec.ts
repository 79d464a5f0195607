import { describe, expect, it } from 'vitest';
import { UnsupportedSourceError, ffmpegArgs, sourceScheme } from './camera-source.ts';

const base = { fps: 2, maxWidth: 640, ioTimeoutMs: 5000 };

describe('sourceScheme', () => {
  it('knows rtsp, http and file URLs', () => {
    expect(sourceScheme('rtsp://cam.local:554/stream')).toBe('rtsp');
    expect(sourceScheme('rtsps://cam.local/stream')).toBe('rtsp');
    expect(sourceScheme('https://cam.local/mjpeg')).toBe('http');
    expect(sourceScheme('file:///data/river.mp4')).toBe('file');
  });

  it('rejects other schemes and non-URLs with a clear error (never passed to ffmpeg)', () => {
    expect(() => sourceScheme('ftp://x/y')).toThrow(UnsupportedSourceError);
    expect(() => sourceScheme('concat:/etc/passwd')).toThrow(/unsupported source scheme/);
    expect(() => sourceScheme('not a url')).toThrow(/not a valid URL/);
  });
});

describe('ffmpegArgs', () => {
  it('uses TCP and a socket timeout in microseconds for RTSP', () => {
    const args = ffmpegArgs({ ...base, sourceUrl: 'rtsp://cam/s', kind: 'rtsp' });
    expect(args.join(' ')).toContain('-rtsp_transport tcp -timeout 5000000 -i rtsp://cam/s');
  });

  it('loops files at real-time pace', () => {
    const args = ffmpegArgs({ ...base, sourceUrl: 'file:///clips/a%20b.mp4', kind: 'file' });
    expect(args.join(' ')).toContain('-re -stream_loop -1 -i file:/clips/a b.mp4');
  });

  it('re-fetches snapshot URLs at the camera fps', () => {
    const args = ffmpegArgs({ ...base, sourceUrl: 'http://cam/snap.jpg', kind: 'http-snapshot' });
    expect(args.join(' ')).toContain('-f image2 -loop 1 -framerate 2 -re -i http://cam/snap.jpg');
  });

  it('samples at fps, caps the width and writes JPEGs to stdout', () => {
    const args = ffmpegArgs({ ...base, fps: 0.5, sourceUrl: 'http://cam/mjpeg', kind: 'http-stream' });
    expect(args[args.indexOf('-vf') + 1]).toBe("fps=0.5,scale=w='min(iw,640)':h=-2:flags=bilinear,format=yuvj420p");
    expect(args.slice(-3)).toEqual(['-f', 'image2pipe', 'pipe:1']);
    expect(args).toContain('-rw_timeout');
  });

  it('refuses a non-positive fps (it would make ffmpeg spin)', () => {
    expect(() => ffmpegArgs({ ...base, fps: 0, sourceUrl: 'rtsp://x/y', kind: 'rtsp' })).toThrow(/fps must be a positive/);
  });
});
