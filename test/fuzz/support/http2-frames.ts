import fc from 'fast-check';

/** What a client sends first on an HTTP/2 connection (RFC 9113 §3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export const FrameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;

export interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
  /** Declared length; differs from the payload's when the frame is truncated or overlong. */
  length?: number;
}

/** The 9-byte frame header and payload, as on the wire. */
export function encodeFrame(f: RawFrame): Buffer {
  const header = Buffer.alloc(9);
  const length = f.length ?? f.payload.length;
  header.writeUIntBE(length & 0xffffff, 0, 3);
  header[3] = f.type & 0xff;
  header[4] = f.flags & 0xff;
  header.writeUInt32BE(f.streamId >>> 0, 5);
  return Buffer.concat([header, f.payload]);
}

/** HPACK "literal header field without indexing, new name", no Huffman coding (RFC 7541 §6.2.2). */
export function hpackLiteral(headers: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  const str = (s: string) => {
    const b = Buffer.from(s);
    if (b.length > 126) throw new Error('hpackLiteral: strings up to 126 bytes');
    return Buffer.concat([Buffer.from([b.length]), b]);
  };
  for (const [name, value] of headers) parts.push(Buffer.from([0x00]), str(name), str(value));
  return Buffer.concat(parts);
}

/** A gRPC call's request headers for `path`, HPACK-encoded. */
export function grpcHeaders(path: string, extra: [string, string][] = []): Buffer {
  return hpackLiteral([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', 'localhost'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ...extra,
  ]);
}

/** A gRPC message on the wire: compressed flag, 4-byte length, bytes. */
export function grpcMessage(body: Uint8Array, opts: { compressed?: boolean; declaredLength?: number } = {}): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = opts.compressed ? 1 : 0;
  prefix.writeUInt32BE((opts.declaredLength ?? body.length) >>> 0, 1);
  return Buffer.concat([prefix, body]);
}

/** Any frame: known and unknown types, any flags, stream ids around the interesting ones, short payloads. */
export const anyFrame: fc.Arbitrary<RawFrame> = fc.record({
  type: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 9 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  flags: fc.oneof(fc.constantFrom(0, 1, 4, 5, 8, 0x20, 0x25), fc.integer({ min: 0, max: 255 })),
  streamId: fc.oneof(fc.constantFrom(0, 1, 2, 3, 5, 0x7fffffff, 0x80000001), fc.nat()),
  payload: fc.uint8Array({ maxLength: 64 }),
  length: fc.option(fc.integer({ min: 0, max: 0xffffff }), { nil: undefined, freq: 4 }),
});
