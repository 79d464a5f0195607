/**
 * ModelInferRequest with its tensors as bytes, encoded without a fresh
 * tensor-sized buffer per request.
 *
 * protobuf.js encodes a 0.7 MB image tensor into a new ArrayBuffer, and grpc-js
 * then copies that into another one to frame it. Each new ArrayBuffer counts
 * against V8's external-memory limit, and at concurrency 8 with tensors in
 * flight they live long enough to reach the old generation, so the process
 * runs a stop-the-world mark-compact ("external memory pressure", ~20-30 ms)
 * about once per 80 requests. Here the small part of the message (names, shapes,
 * outputs) is encoded by protobuf.js and the tensors are appended as field 7
 * (`raw_input_contents`) into a buffer taken from a pool and given back when
 * the call has settled; grpc-js's framing copy is the only one left.
 * Protobuf decoders accept fields in any order; protobuf.js writes them in
 * field order anyway, so the bytes are the same as its own encoding.
 */

/** Field 7 (`repeated bytes raw_input_contents`), wire type 2 (length-delimited). */
const RAW_INPUT_CONTENTS_KEY = (7 << 3) | 2;

function varintLength(n: number): number {
  let len = 1;
  while (n > 127) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(n: number, out: Buffer, at: number): number {
  while (n > 127) {
    out[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/** Bytes of `header` (the request without raw_input_contents, encoded) plus the tensors as field 7. */
export function inferRequestSize(header: Buffer, tensors: readonly Uint8Array[]): number {
  return tensors.reduce((n, t) => n + 1 + varintLength(t.byteLength) + t.byteLength, header.byteLength);
}

/** Writes the whole request into `into` (at least `inferRequestSize` bytes) and returns the written part. */
export function encodeInferRequest(header: Buffer, tensors: readonly Uint8Array[], into: Buffer): Buffer {
  const size = inferRequestSize(header, tensors);
  if (into.byteLength < size) throw new RangeError(`encodeInferRequest: ${size} bytes needed, buffer holds ${into.byteLength}`);
  let at = header.copy(into, 0);
  for (const t of tensors) {
    into[at++] = RAW_INPUT_CONTENTS_KEY;
    at = writeVarint(t.byteLength, into, at);
    into.set(t, at);
    at += t.byteLength;
  }
  return into.subarray(0, at);
}

/**
 * Free encode buffers, reused by later requests of the same size or a little
 * smaller. At most `maxBuffers` and `maxBytes` are kept; a request finding none
 * free gets a new buffer, kept on release while there is room.
 */
export class EncodeBufferPool {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;

  constructor(
    private readonly maxBuffers = 8,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  acquire(size: number): Buffer {
    // Not more than twice the size: a small request does not hold a large buffer.
    const i = this.free.findIndex((b) => b.byteLength >= size && b.byteLength <= 2 * size);
    if (i < 0) return Buffer.allocUnsafeSlow(size);
    const [buf] = this.free.splice(i, 1);
    this.freeBytes -= buf!.byteLength;
    return buf!;
  }

  release(buf: Buffer): void {
    if (this.free.length >= this.maxBuffers || this.freeBytes + buf.byteLength > this.maxBytes) return;
    this.free.push(buf);
    this.freeBytes += buf.byteLength;
  }

  get size(): number {
    return this.free.length;
  }
}
