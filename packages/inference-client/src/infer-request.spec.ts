import { describe, expect, it } from 'vitest';
import { loadInferenceProto, type ModelInferRequest } from '@riverwatch/proto';
import { EncodeBufferPool, encodeInferRequest, inferRequestSize } from './infer-request.ts';

const method = () => loadInferenceProto().inference.GRPCInferenceService.service.ModelInfer;

function request(tensors: Buffer[]): ModelInferRequest {
  return {
    model_name: 'debris-yolov5',
    model_version: '1',
    id: 'cam-1:42',
    inputs: tensors.map((t, i) => ({ name: `images${i}`, datatype: 'UINT8', shape: [1, t.byteLength] })),
    outputs: [{ name: 'detections' }],
  };
}

describe('encodeInferRequest', () => {
  // Sizes across each varint length of the field's length prefix: 1, 2 and 3 bytes (127/128, 16383/16384).
  const cases: [string, number[]][] = [
    ['no tensor', []],
    ['an empty tensor', [0]],
    ['one-byte length prefixes', [1, 127]],
    ['two-byte length prefixes', [128, 16_383]],
    ['a frame-sized tensor and a tile', [737_280, 16_384]],
  ];
  for (const [what, sizes] of cases) {
    it(`gives protobuf.js's own bytes: ${what}`, () => {
      const tensors = sizes.map((n, i) => Buffer.alloc(n, i + 1));
      const header = method().requestSerialize(request(tensors));
      const expected = method().requestSerialize({ ...request(tensors), raw_input_contents: tensors });
      const into = Buffer.alloc(inferRequestSize(header, tensors) + 100, 0xee);
      const got = encodeInferRequest(header, tensors, into);
      expect(got.byteLength).toBe(expected.byteLength);
      expect(got.equals(expected)).toBe(true);
      const decoded = method().requestDeserialize(got);
      expect(decoded.raw_input_contents.map((b) => b.byteLength)).toEqual(sizes);
    });
  }

  it('refuses a buffer that is too small, naming both sizes', () => {
    const header = method().requestSerialize(request([]));
    expect(() => encodeInferRequest(header, [Buffer.alloc(300)], Buffer.alloc(300))).toThrow(/\d+ bytes needed, buffer holds 300/);
  });
});

describe('EncodeBufferPool', () => {
  it('hands a released buffer to the next request of the same size', () => {
    const pool = new EncodeBufferPool();
    const a = pool.acquire(1000);
    pool.release(a);
    expect(pool.acquire(1000)).toBe(a);
    expect(pool.size).toBe(0);
  });

  it('never hands out a buffer too small, or more than twice the size asked', () => {
    const pool = new EncodeBufferPool();
    const small = pool.acquire(1000);
    const large = pool.acquire(10_000);
    pool.release(small);
    pool.release(large);
    const mid = pool.acquire(3000);
    expect(mid).not.toBe(small);
    expect(mid).not.toBe(large);
    expect(mid.byteLength).toBeGreaterThanOrEqual(3000);
    expect(pool.acquire(6000)).toBe(large);
  });

  it('keeps no more than its buffer and byte limits', () => {
    const pool = new EncodeBufferPool(2, 5000);
    const bufs = [pool.acquire(1000), pool.acquire(1000), pool.acquire(1000)];
    for (const b of bufs) pool.release(b);
    expect(pool.size).toBe(2);
    pool.release(pool.acquire(4000));
    expect(pool.size).toBe(2);
    const big = new EncodeBufferPool(8, 5000);
    big.release(big.acquire(6000));
    expect(big.size).toBe(0);
  });
});
