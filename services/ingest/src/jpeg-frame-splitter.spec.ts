import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { JpegFrameSplitter } from './jpeg-frame-splitter.ts';
import { jpegSize } from './jpeg-size.ts';

async function jpeg(width: number, height: number, color: string, extra: { exif?: boolean; progressive?: boolean } = {}): Promise<Buffer> {
  let img = sharp({ create: { width, height, channels: 3, background: color } }).jpeg({ progressive: extra.progressive ?? false });
  if (extra.exif) img = img.withMetadata({ exif: { IFD0: { ImageDescription: 'river cam' } } });
  return img.toBuffer();
}

/** An APP1 segment whose payload contains a whole embedded JPEG (like an EXIF thumbnail). */
function withThumbnailSegment(frame: Buffer, thumb: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0'), thumb]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([frame.subarray(0, 2), header, payload, frame.subarray(2)]);
}

function chunked(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < data.length) {
    const n = sizes[k++ % sizes.length];
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('JpegFrameSplitter', () => {
  let a: Buffer, b: Buffer, c: Buffer, prog: Buffer;
  beforeAll(async () => {
    [a, b, c, prog] = await Promise.all([jpeg(32, 24, '#0a4'), jpeg(64, 48, '#36c'), jpeg(16, 16, '#fff'), jpeg(40, 30, '#a52', { progressive: true })]);
  });

  it('returns each frame of a stream byte for byte, in order', () => {
    const s = new JpegFrameSplitter(1 << 20);
    expect(s.push(Buffer.concat([a, b, c]))).toEqual([a, b, c]);
    expect(s.garbageBytes).toBe(0);
    expect(s.corruptFrames).toBe(0);
  });

  it('reassembles frames split across chunks at every possible boundary', () => {
    const stream = Buffer.concat([a, b]);
    for (let cut = 1; cut < stream.length; cut++) {
      const s = new JpegFrameSplitter(1 << 20);
      const frames = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))];
      // Whatever the cut, exactly the two frames come out, unchanged.
      expect(frames).toEqual([a, b]);
    }
  });

  it('survives one-byte and odd-sized chunks', () => {
    const stream = Buffer.concat([a, prog, b, c]);
    for (const sizes of [[1], [3, 7, 1], [1000]]) {
      const s = new JpegFrameSplitter(1 << 20);
      const frames = chunked(stream, sizes).flatMap((ch) => s.push(ch));
      expect(frames).toEqual([a, prog, b, c]);
    }
  });

  it('skips garbage before, between and after frames and counts it', () => {
    const junk = Buffer.from([0x00, 0xff, 0x12, 0xff, 0xd9, 0xff, 0xd8, 0x00, 0x41]); // includes a stray EOI and a fake SOI
    const s = new JpegFrameSplitter(1 << 20);
    const frames = chunked(Buffer.concat([junk, a, junk, b, junk]), [5]).flatMap((ch) => s.push(ch));
    expect(frames).toEqual([a, b]);
    expect(s.garbageBytes).toBeGreaterThan(0);
    s.end();
    // Every junk byte is accounted for (3 × 9), none leaked into a frame.
    expect(s.garbageBytes).toBe(junk.length * 3);
  });

  it('does not cut a frame at the EOI of an embedded thumbnail', () => {
    const framed = withThumbnailSegment(b, c);
    const s = new JpegFrameSplitter(1 << 20);
    expect(chunked(framed, [17]).flatMap((ch) => s.push(ch))).toEqual([framed]);
    expect(jpegSize(framed)).toEqual({ width: 64, height: 48 });
  });

  it('discards a frame larger than the cap and resumes with the next one', () => {
    const huge = Buffer.concat([a.subarray(0, a.length - 2), Buffer.alloc(5000, 0x11), Buffer.from([0xff, 0xd9])]);
    const s = new JpegFrameSplitter(2000);
    const frames = chunked(Buffer.concat([huge, b]), [512]).flatMap((ch) => s.push(ch));
    expect(frames).toEqual([b]);
    expect(s.corruptFrames).toBe(1);
    // Bounded: never holds much more than the cap plus one chunk.
    expect(s.bufferedBytes).toBeLessThanOrEqual(2000 + 512);
  });

  it('keeps memory bounded on an endless stream of random bytes', () => {
    const s = new JpegFrameSplitter(4096);
    let maxHeld = 0;
    for (let i = 0; i < 200; i++) {
      const noise = Buffer.alloc(1024);
      for (let j = 0; j < noise.length; j++) noise[j] = (i * 131 + j * 17) & 0xff;
      s.push(noise);
      maxHeld = Math.max(maxHeld, s.bufferedBytes);
    }
    expect(maxHeld).toBeLessThanOrEqual(4096 + 1024);
  });

  it('counts a frame cut off by the end of the stream as truncated', () => {
    const s = new JpegFrameSplitter(1 << 20);
    expect(s.push(Buffer.concat([a, b.subarray(0, 100)]))).toEqual([a]);
    expect(s.end()).toBe(true);
    expect(s.corruptFrames).toBe(1);
  });

  it('resyncs after a malformed header segment', () => {
    const broken = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0x00]); // segment length 1 < 2
    const s = new JpegFrameSplitter(1 << 20);
    expect(s.push(Buffer.concat([broken, a]))).toEqual([a]);
    expect(s.corruptFrames).toBe(1);
  });
});

describe('jpegSize', () => {
  it('reads width and height from baseline and progressive JPEGs', async () => {
    expect(jpegSize(await jpeg(64, 48, '#123'))).toEqual({ width: 64, height: 48 });
    expect(jpegSize(await jpeg(33, 17, '#123', { progressive: true }))).toEqual({ width: 33, height: 17 });
    expect(jpegSize(await jpeg(20, 10, '#123', { exif: true }))).toEqual({ width: 20, height: 10 });
  });

  it('returns null for bytes that are not a JPEG or have no frame header', () => {
    expect(jpegSize(Buffer.from('not a jpeg'))).toBeNull();
    expect(jpegSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeNull();
    expect(jpegSize(Buffer.alloc(0))).toBeNull();
  });
});
