import fc from 'fast-check';
import sharp from 'sharp';

/** Small real JPEGs of the kinds cameras send: baseline, progressive, with an EXIF segment, greyscale. */
export async function sampleJpegs(): Promise<Buffer[]> {
  const make = (w: number, h: number, color: string, o: { progressive?: boolean; exif?: boolean; grey?: boolean } = {}) => {
    let img = sharp({ create: { width: w, height: h, channels: 3, background: color } }).jpeg({ progressive: o.progressive ?? false, quality: 70 });
    if (o.grey) img = img.greyscale();
    if (o.exif) img = img.withMetadata({ exif: { IFD0: { ImageDescription: 'river cam' } } });
    return img.toBuffer();
  };
  return Promise.all([
    make(64, 48, '#2a6'),
    make(33, 17, '#a52', { progressive: true }),
    make(40, 30, '#369', { exif: true }),
    make(24, 24, '#777', { grey: true }),
  ]);
}

/** Bytes that look like JPEG structure: mostly markers, segment lengths and stuffing. */
export const markerSoup = fc
  .array(fc.oneof(fc.constantFrom(0xff, 0xd8, 0xd9, 0xda, 0xc0, 0xc2, 0xc4, 0xe1, 0xd0, 0x00, 0x01, 0x02), fc.integer({ min: 0, max: 255 })), { maxLength: 400 })
  .map((bytes) => Buffer.from(bytes));

/** A real JPEG with a few bytes overwritten, a run deleted or duplicated, and perhaps cut short. */
export function mutatedJpeg(samples: Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .record({
      base: fc.integer({ min: 0, max: samples.length - 1 }),
      flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
      splice: fc.option(fc.record({ at: fc.nat(), length: fc.integer({ min: 1, max: 64 }), repeat: fc.boolean() }), { nil: undefined }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ base, flips, splice, cut }) => {
      let b = Buffer.from(samples[base]!);
      for (const f of flips) b[f.at % b.length] = f.value;
      if (splice) {
        const at = splice.at % b.length;
        const piece = b.subarray(at, at + splice.length);
        b = splice.repeat ? Buffer.concat([b.subarray(0, at), piece, piece, b.subarray(at + piece.length)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + piece.length)]);
      }
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      return b;
    });
}

/** Anything a broken camera might put in a frame's place. */
export function malformedJpeg(samples: Buffer[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 5, arbitrary: mutatedJpeg(samples) },
    { weight: 2, arbitrary: markerSoup.map((soup) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), soup])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) },
  );
}
