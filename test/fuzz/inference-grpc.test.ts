import { connect as netConnect } from 'node:net';
import { connect as http2Connect, constants as h2, type ClientHttp2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATATYPE_BYTES, loadInferenceProto } from '@riverwatch/proto';
import { images, startHarness, type InferenceHarness } from '../inference/support.ts';
import { assertMemoryBounded, fuzz, fuzzSurface, memoryAfterGc, replayRegressions } from './support/fuzz.ts';
import { anyFrame, CLIENT_PREFACE, encodeFrame, FrameType, grpcHeaders, grpcMessage, type RawFrame } from './support/http2-frames.ts';

/**
 * Malformed traffic at the inference server's gRPC port, all of it over real
 * sockets to a real server (startHarness: onnxruntime sessions, port 0):
 * ModelInfer messages that are random, truncated or wrong in every field
 * (grpc-js client, bytes passed through unserialised); gRPC calls with broken
 * framing, paths and headers (node:http2, one session); raw HTTP/2 frames on
 * fresh TCP connections (node:net). After each surface the server still
 * answers a valid ModelInfer.
 */

const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';
/** Calls in flight at once: one call mostly waits on the loopback, so a batch keeps both cores busy. */
const CONCURRENCY = 20;

let h: InferenceHarness;
let raw: grpc.Client;
const serialize = (req: unknown) => loadInferenceProto().inference.GRPCInferenceService.service.ModelInfer.requestSerialize(req as never);

beforeAll(async () => {
  h = await startHarness({ models: ['tiny-detector', 'int-inputs'] });
  raw = new grpc.Client(h.target, grpc.credentials.createInsecure());
});
afterAll(async () => {
  raw?.close();
  await h?.stop();
});

/** The server still does real work: a valid detector call returns its output. */
async function expectServing(): Promise<void> {
  const res = await h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1) }]);
  expect(res.outputs[0]!.shape).toEqual([1, 16, 6]);
}

/** One ModelInfer call with these exact bytes as its message. */
function callWithBytes(bytes: Buffer): Promise<{ code: status; details: string }> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      MODEL_INFER,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      { deadline: Date.now() + 20_000 },
      (err) => resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
  });
}

// ---- ModelInfer messages ----------------------------------------------------------------

const tensorName = fc.oneof(fc.constantFrom('images', 'a', 'b', 'output0', ''), fc.string({ maxLength: 12 }));
const param = fc.oneof(
  fc.record({ string_param: fc.oneof(fc.constant('region'), fc.string({ maxLength: 10 })) }),
  fc.record({ int64_param: fc.oneof(fc.constantFrom(0, -1, 12288, 2 ** 40), fc.integer()) }),
  fc.record({ bool_param: fc.boolean() }),
);
const params = fc.option(
  fc.dictionary(fc.oneof(fc.constantFrom('shared_memory_region', 'shared_memory_byte_size', 'shared_memory_offset'), fc.string({ maxLength: 8 })), param, { maxKeys: 3 }),
  { nil: undefined },
);
const dim = fc.oneof(fc.constantFrom(1, 3, 32, 0, -1, 2 ** 31, 2 ** 53), fc.integer({ min: -4, max: 40 }));
const contents = fc.record(
  {
    fp32_contents: fc.array(fc.float(), { maxLength: 40 }),
    int_contents: fc.array(fc.integer(), { maxLength: 40 }),
    uint_contents: fc.array(fc.nat(), { maxLength: 40 }),
    int64_contents: fc.array(fc.integer(), { maxLength: 10 }),
    bool_contents: fc.array(fc.boolean(), { maxLength: 10 }),
    bytes_contents: fc.array(fc.uint8Array({ maxLength: 10 }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const input = fc.record(
  {
    name: tensorName,
    datatype: fc.oneof(fc.constantFrom(...Object.keys(DATATYPE_BYTES), 'BYTES', 'FP8', ''), fc.string({ maxLength: 6 })),
    shape: fc.array(dim, { maxLength: 5 }),
    parameters: params,
    contents: fc.option(contents, { nil: undefined }),
  },
  { requiredKeys: ['name', 'datatype', 'shape'] },
);
/** A request as a client library would build it, wrong in any field. */
const structuredRequest = fc.record(
  {
    model_name: fc.oneof(fc.constantFrom('tiny-detector', 'int-inputs', 'missing', ''), fc.string({ maxLength: 16 })),
    model_version: fc.oneof(fc.constantFrom('', '1', '2', '0', '99'), fc.string({ maxLength: 4 })),
    id: fc.string({ maxLength: 16 }),
    parameters: params,
    inputs: fc.array(input, { maxLength: 3 }),
    outputs: fc.array(fc.record({ name: tensorName, parameters: params }, { requiredKeys: ['name'] }), { maxLength: 2 }),
    raw_input_contents: fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(12288))), { maxLength: 3 }),
  },
  { requiredKeys: ['model_name', 'inputs'] },
);
/** A valid detector request with one thing changed. */
const nearlyValid = fc
  .record({
    shape: fc.oneof(fc.constant([1, 3, 32, 32]), fc.array(dim, { minLength: 4, maxLength: 4 })),
    bytes: fc.oneof(fc.constantFrom(12288, 12284, 0, 24576), fc.nat({ max: 30000 })),
    datatype: fc.constantFrom('FP32', 'FP16', 'UINT8'),
  })
  .map(({ shape, bytes, datatype }) => ({ model_name: 'tiny-detector', inputs: [{ name: 'images', datatype, shape }], raw_input_contents: [new Uint8Array(bytes)] }));

/** Bytes for the wire: a serialised request, perhaps truncated or with bytes flipped, or plain noise. */
const modelInferBytes = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.oneof(structuredRequest, nearlyValid), fc.option(fc.nat(), { nil: undefined }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(([req, cut, flips]) => {
    let b = Buffer.from(serialize(req));
    for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
    if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
    return b;
  }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
);

async function checkModelInfer(bytes: Buffer): Promise<void> {
  const { code, details } = await callWithBytes(bytes);
  if (code === status.OK) return; // a mutation that is still a valid request
  // INTERNAL only for a message protobuf cannot decode (grpc-js's own answer); never UNKNOWN, never a handler crash.
  if (code === status.INTERNAL) expect(details).toBe('Error deserializing request');
  else expect([status.INVALID_ARGUMENT, status.NOT_FOUND, status.FAILED_PRECONDITION, status.RESOURCE_EXHAUSTED]).toContain(code);
  expect(details.length).toBeGreaterThan(0);
}

describe('fuzz: ModelInfer messages at the gRPC port', () => {
  it('replays saved regression cases', async () => {
    await replayRegressions<Buffer>('grpc-model-infer', checkModelInfer);
    await expectServing();
  });

  it('answers every malformed request with a clear gRPC error, then still serves', async () => {
    const surface = fuzzSurface('grpc-model-infer', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, modelInferBytes, checkModelInfer, { concurrency: CONCURRENCY });
    await expectServing();
    assertMemoryBounded(surface.name, before);
  });
});

// ---- gRPC calls with broken framing (node:http2) ----------------------------------------

interface GrpcStreamCase {
  path: string;
  contentType: string;
  encoding: string | undefined;
  body: Uint8Array;
  compressed: boolean;
  /** Declared message length (truncated or overlong framing). */
  declared: number | undefined;
  /** Cut the framed body to this many bytes. */
  cut: number | undefined;
}

const grpcStreamCase: fc.Arbitrary<GrpcStreamCase> = fc.record({
  path: fc.oneof(fc.constantFrom(MODEL_INFER, '/inference.GRPCInferenceService/ModelMetadata', '/inference.GRPCInferenceService/Nope', '/grpc.health.v1.Health/Check', '/'), fc.string({ maxLength: 20 }).map((s) => `/${s}`)),
  contentType: fc.constantFrom('application/grpc', 'application/grpc+proto', 'application/json', 'text/plain', ''),
  encoding: fc.option(fc.constantFrom('identity', 'gzip', 'deflate', 'snappy'), { nil: undefined }),
  body: fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.constant(new Uint8Array(serialize({ model_name: 'tiny-detector' })))),
  compressed: fc.boolean(),
  declared: fc.option(fc.oneof(fc.nat({ max: 300 }), fc.constantFrom(0xffffffff, 64 * 1024 * 1024 + 1)), { nil: undefined }),
  cut: fc.option(fc.nat({ max: 130 }), { nil: undefined }),
});

let session: ClientHttp2Session | undefined;
function h2Session(): ClientHttp2Session {
  if (!session || session.closed || session.destroyed) {
    session = http2Connect(`http://${h.target}`);
    session.on('error', () => {});
  }
  return session;
}

async function checkGrpcStream(c: GrpcStreamCase): Promise<void> {
  let framed = grpcMessage(c.body, { compressed: c.compressed, declaredLength: c.declared });
  if (c.cut !== undefined) framed = framed.subarray(0, c.cut);
  const headers: Record<string, string> = { ':method': 'POST', ':path': c.path, te: 'trailers' };
  if (c.contentType) headers['content-type'] = c.contentType;
  if (c.encoding) headers['grpc-encoding'] = c.encoding;
  const result = await new Promise<{ httpStatus?: number; grpcStatus?: string; message?: string; error?: string }>((resolve) => {
    const out: { httpStatus?: number; grpcStatus?: string; message?: string; error?: string } = {};
    const req = h2Session().request(headers);
    req.setTimeout(20_000, () => req.close(h2.NGHTTP2_CANCEL));
    req.on('response', (hd) => {
      out.httpStatus = Number(hd[':status']);
      if (hd['grpc-status'] !== undefined) out.grpcStatus = String(hd['grpc-status']);
    });
    req.on('trailers', (tr) => {
      out.grpcStatus = String(tr['grpc-status']);
      out.message = tr['grpc-message'] as string | undefined;
    });
    req.on('data', () => {});
    req.on('error', (e: Error) => (out.error = e.message));
    req.on('close', () => resolve(out));
    req.end(framed);
  });
  // Every call ends with an answer: a gRPC status (OK for a message that happens to be valid), an HTTP 4xx for a
  // non-gRPC content type, or a stream reset by the server's HTTP/2 layer for a header it refuses (a space in :path).
  if (result.grpcStatus === undefined && /NGHTTP2_PROTOCOL_ERROR/.test(result.error ?? '')) return;
  if (result.grpcStatus === undefined) {
    expect(result.httpStatus, JSON.stringify(result)).toBeGreaterThanOrEqual(400);
    expect(result.httpStatus, JSON.stringify(result)).toBeLessThan(500);
    return;
  }
  expect(Number(result.grpcStatus), JSON.stringify(result)).not.toBe(status.UNKNOWN);
}

describe('fuzz: gRPC calls with broken framing and headers', () => {
  it('replays saved regression cases', async () => {
    await replayRegressions<GrpcStreamCase>('grpc-http2-streams', checkGrpcStream);
  });

  it('ends every call with a gRPC status or an HTTP 4xx, then still serves', async () => {
    const surface = fuzzSurface('grpc-http2-streams', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, grpcStreamCase, checkGrpcStream, { concurrency: CONCURRENCY });
    session?.close();
    await expectServing();
    assertMemoryBounded(surface.name, before);
  });
});

// ---- raw HTTP/2 frames (node:net) -------------------------------------------------------

interface FrameCase {
  preface: 'valid' | 'missing' | 'garbled';
  frames: RawFrame[];
  /** Start a real gRPC call on stream 1 before the random frames. */
  withCall: boolean;
}

const frameCase: fc.Arbitrary<FrameCase> = fc.record({
  preface: fc.constantFrom('valid', 'valid', 'valid', 'missing', 'garbled'),
  withCall: fc.boolean(),
  frames: fc.array(anyFrame, { minLength: 1, maxLength: 6 }),
});

function frameBytes(c: FrameCase): Buffer {
  const parts: Buffer[] = [];
  if (c.preface === 'valid') parts.push(CLIENT_PREFACE);
  if (c.preface === 'garbled') parts.push(Buffer.from('PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n'));
  parts.push(encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, payload: new Uint8Array() }));
  if (c.withCall) {
    parts.push(encodeFrame({ type: FrameType.HEADERS, flags: 0x4, streamId: 1, payload: grpcHeaders(MODEL_INFER) }));
    parts.push(encodeFrame({ type: FrameType.DATA, flags: 0, streamId: 1, payload: grpcMessage(serialize({ model_name: 'tiny-detector' })).subarray(0, 7) }));
  }
  for (const f of c.frames) parts.push(encodeFrame(f));
  return Buffer.concat(parts);
}

/** One TCP connection: the bytes, then our half-close; the server must hang up or wait, never crash. */
function sendFrames(bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const [host, port] = h.target.split(':');
    const socket = netConnect({ host, port: Number(port) });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A server that refuses the connection is down: that is the failure this surface looks for.
      if (err.code === 'ECONNREFUSED') reject(err);
    });
    // The server may keep a half-closed connection open: once it has been quiet for a moment, close ours.
    let timer = setTimeout(() => socket.destroy(), 100);
    socket.on('data', () => {
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), 50);
    });
    socket.on('connect', () => socket.end(bytes));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('fuzz: raw HTTP/2 frames at the gRPC port', () => {
  const check = (c: FrameCase) => sendFrames(frameBytes(c));

  it('replays saved regression cases', async () => {
    await replayRegressions<FrameCase>('grpc-http2-frames', check);
    await expectServing();
  });

  it('survives random frame sequences on fresh connections, then still serves', async () => {
    const surface = fuzzSurface('grpc-http2-frames', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, frameCase, check, { concurrency: CONCURRENCY });
    await expectServing();
    assertMemoryBounded(surface.name, before);
  });
});
