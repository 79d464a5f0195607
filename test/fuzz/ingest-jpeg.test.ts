import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, type ModelConfig } from '@riverwatch/common';
import { JpegFrameSplitter, jpegSize } from '@riverwatch/ingest';
import { preprocessTiles, resolveTiling } from '@riverwatch/vision';
import { assertMemoryBounded, fuzz, fuzzSurface, memoryAfterGc, replayRegressions } from './support/fuzz.ts';
import { malformedJpeg, markerSoup, sampleJpegs } from './support/jpeg-inputs.ts';
import { readFileSync } from 'node:fs';
import { FIXTURE_MODELS } from '../inference/support.ts';

/**
 * JPEG bytes and MJPEG byte streams into ingest's frame splitter and size reader,
 * and corrupt frames into the worker's decode step (preprocessTiles, what its
 * vision threads run). In-process: these are pure functions over bytes.
 */

let samples: Buffer[];
beforeAll(async () => {
  samples = await sampleJpegs();
});

const SOI = Buffer.from([0xff, 0xd8, 0xff]);
const EOI = Buffer.from([0xff, 0xd9]);

interface StreamCase {
  segments: Buffer[];
  chunks: number[];
}

/** A stream: real frames, malformed frames, JPEG-like soup and noise, in any order, split into chunks of any size. */
function mjpegStream(): fc.Arbitrary<StreamCase> {
  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: samples.length - 1 }).map((i) => samples[i]!) },
    { weight: 3, arbitrary: malformedJpeg(samples) },
    { weight: 1, arbitrary: markerSoup },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  );
  return fc.record({
    segments: fc.array(segment, { maxLength: 8 }),
    chunks: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 12 }),
  });
}

function split(splitter: JpegFrameSplitter, data: Buffer, chunks: number[], onPush?: () => void): { frames: Buffer[]; truncated: boolean } {
  const frames: Buffer[] = [];
  for (let i = 0, k = 0; i < data.length; k++) {
    const n = chunks[k % chunks.length]!;
    frames.push(...splitter.push(data.subarray(i, i + n)));
    onPush?.();
    i += n;
  }
  return { frames, truncated: splitter.end() };
}

describe('fuzz: MJPEG streams into the JPEG frame splitter', () => {
  it('replays saved regression cases', async () => {
    await replayRegressions<StreamCase>('ingest-mjpeg-splitter', (c) => checkSplitter(c));
  });

  it('emits only whole JPEGs, the same ones however the stream is chunked, with bounded buffering', async () => {
    const surface = fuzzSurface('ingest-mjpeg-splitter', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, mjpegStream(), checkSplitter);
    assertMemoryBounded(surface.name, before);
  });

  it('finds every real frame when the bytes between frames hold no 0xFF', async () => {
    const surface = fuzzSurface('ingest-mjpeg-splitter-clean', 2_000);
    const clean = fc.record({
      frames: fc.array(fc.integer({ min: 0, max: samples.length - 1 }), { maxLength: 6 }),
      gaps: fc.array(fc.uint8Array({ max: 0xfe, maxLength: 200 }), { minLength: 7, maxLength: 7 }),
      chunks: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 12 }),
    });
    await fuzz(surface, clean, ({ frames, gaps, chunks }) => {
      const parts = frames.flatMap((f, i) => [Buffer.from(gaps[i]!), samples[f]!]);
      const out = split(new JpegFrameSplitter(1 << 20), Buffer.concat([...parts, Buffer.from(gaps[6]!)]), chunks);
      expectSameFrames(out.frames, frames.map((f) => samples[f]!));
      expect(out.truncated).toBe(false);
    });
  });
});

function checkSplitter({ segments, chunks }: StreamCase): void {
  const data = Buffer.concat(segments);
  // Whole stream at once versus in chunks: the same frames (no frame is larger than the limit here).
  const whole = split(new JpegFrameSplitter(1 << 20), data, [Math.max(1, data.length)]);
  const chunked = split(new JpegFrameSplitter(1 << 20), data, chunks);
  expectSameFrames(chunked.frames, whole.frames);
  expect(chunked.truncated).toBe(whole.truncated);
  for (const f of whole.frames) {
    if (!f.subarray(0, 3).equals(SOI) || !f.subarray(-2).equals(EOI)) throw new Error(`emitted a frame that is not a whole JPEG: ${f.toString('hex').slice(0, 80)}`);
  }
  // A small limit: what the splitter holds never exceeds the limit plus the chunk just pushed.
  const limit = 512;
  const small = new JpegFrameSplitter(limit);
  const maxChunk = Math.max(...chunks);
  let held = 0;
  split(small, data, chunks, () => (held = Math.max(held, small.bufferedBytes)));
  expect(held).toBeLessThanOrEqual(limit + maxChunk);
  expect(small.bufferedBytes).toBe(0);
}

/** Frame lists compared byte for byte (cheaper than a deep equal of Buffers, 10 000 times over). */
function expectSameFrames(actual: Buffer[], expected: Buffer[]): void {
  const same = actual.length === expected.length && actual.every((f, i) => f.equals(expected[i]!));
  if (!same) {
    const show = (fs: Buffer[]) => fs.map((f) => `${f.length} B ${f.subarray(0, 6).toString('hex')}..${f.subarray(-2).toString('hex')}`).join(', ');
    throw new Error(`frames differ: got [${show(actual)}], expected [${show(expected)}]`);
  }
}

describe('fuzz: JPEG bytes into jpegSize', () => {
  const check = async (bytes: Buffer) => {
    const size = jpegSize(bytes);
    if (size === null) return;
    for (const v of [size.width, size.height]) {
      expect(Number.isInteger(v) && v >= 1 && v <= 0xffff).toBe(true);
    }
  };

  it('replays saved regression cases', async () => {
    await replayRegressions<Buffer>('ingest-jpeg-size', check);
  });

  it('never throws, and answers a size only within JPEG limits; real frames get their real size', async () => {
    for (const s of samples) {
      const meta = await sharp(s).metadata();
      expect(jpegSize(s)).toEqual({ width: meta.width, height: meta.height });
    }
    const surface = fuzzSurface('ingest-jpeg-size', 10_000);
    await fuzz(surface, malformedJpeg(samples), check);
  });
});

describe('fuzz: corrupt frames into the worker decode step', () => {
  const config = JSON.parse(readFileSync(`${FIXTURE_MODELS}/tiny-detector/config.json`, 'utf8')) as ModelConfig;
  const tiling = resolveTiling(config, { enabled: true, overlap: 0.2, fullFrame: true });

  const check = async ({ bytes, tiled }: { bytes: Buffer; tiled: boolean }) => {
    try {
      const out = await preprocessTiles(bytes, config, tiled ? tiling : null);
      // A frame sharp could read whole: one tensor of the right size per tile.
      expect(out.tensor.byteLength).toBe(out.shape[0]! * 3 * 32 * 32 * 4);
    } catch (err) {
      // Corrupt frames must fail as InvalidInputError: the job then fails once, without retries.
      if (!(err instanceof InvalidInputError)) throw new Error(`not an InvalidInputError: ${(err as Error).name}: ${(err as Error).message}`);
      expect((err as Error).message).toMatch(/frame|tile/);
    }
  };

  it('replays saved regression cases', async () => {
    await replayRegressions<{ bytes: Buffer; tiled: boolean }>('worker-frame-decode', check);
  });

  it('decodes or refuses with InvalidInputError, never another error', async () => {
    const surface = fuzzSurface('worker-frame-decode', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, fc.record({ bytes: malformedJpeg(samples), tiled: fc.boolean() }), check);
    assertMemoryBounded(surface.name, before, { rssMiB: 384 });
  });
});
