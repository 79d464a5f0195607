import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { loadInferenceProto } from '@riverwatch/proto';
import { InferenceClient, InferenceError, type Tensor } from '@riverwatch/inference-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { images, metricValue, scrape, startHarness, type InferenceHarness } from './support.ts';

/** 256 KiB: a detector batch of 8 (8 x 12 KiB) fits, 32 images (384 KiB) do not. */
const MAX_MESSAGE_BYTES = 256 * 1024;

let h: InferenceHarness;
beforeAll(async () => {
  h = await startHarness({
    models: ['tiny-detector', 'int-inputs', 'slow'],
    env: { INFERENCE_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) },
  });
});
afterAll(async () => {
  await h?.stop();
});

const detectorInput = (over: Partial<Tensor> = {}): Tensor => ({ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1), ...over });
const slowInput = (): Tensor => ({ name: 'x', datatype: 'FP32', shape: [1, 256], data: Buffer.alloc(256 * 4) });

async function failure(p: Promise<unknown>): Promise<InferenceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call must fail').toBeInstanceOf(InferenceError);
  return err as InferenceError;
}

describe('bad requests', () => {
  it('unknown model or version: NOT_FOUND naming what is missing', async () => {
    const model = await failure(h.client.infer('no-such-model', [detectorInput()]));
    expect(model.code).toBe(status.NOT_FOUND);
    expect(model.message).toContain("'no-such-model'");
    const version = await failure(h.client.infer('tiny-detector', [detectorInput()], { version: '7' }));
    expect(version.code).toBe(status.NOT_FOUND);
    expect(version.message).toMatch(/version '7'.*loaded: 1, 2/);
    expect((await failure(h.client.modelMetadata('no-such-model'))).code).toBe(status.NOT_FOUND);
  });

  it.each([
    ['an unknown input name', detectorInput({ name: 'image' }), /no input 'image'/],
    ['a wrong datatype', detectorInput({ datatype: 'FP16', data: Buffer.alloc(3 * 32 * 32 * 2) }), /datatype FP16.*expects FP32/],
    ['a wrong shape', detectorInput({ shape: [1, 3, 31, 32], data: Buffer.alloc(3 * 31 * 32 * 4) }), /shape \[1,3,31,32\].*expects \[-1,3,32,32\]/],
    ['a wrong rank', detectorInput({ shape: [3, 32, 32], data: Buffer.alloc(3 * 32 * 32 * 4) }), /shape \[3,32,32\]/],
    ['a byte size that does not match the shape', detectorInput({ data: Buffer.alloc(100) }), /100 bytes.*needs 12288/],
    ['a batch over maxBatchSize', detectorInput({ shape: [9, 3, 32, 32], data: images(9) }), /batch size 9.*1 to 8/],
  ])('%s: INVALID_ARGUMENT naming the problem', async (_what, tensor, message) => {
    const err = await failure(h.client.infer('tiny-detector', [tensor]));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toMatch(message);
  });

  it('a missing input or unknown output: INVALID_ARGUMENT naming it', async () => {
    const missing = await failure(h.client.infer('int-inputs', [{ name: 'pixels', datatype: 'UINT8', shape: [1, 8], data: Buffer.alloc(8) }]));
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.message).toContain("needs input 'offset'");
    const output = await failure(h.client.infer('tiny-detector', [detectorInput()], { outputs: ['boxes'] }));
    expect(output.code).toBe(status.INVALID_ARGUMENT);
    expect(output.message).toContain("no output 'boxes'");
  });

  it('a request over the maximum message size: RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    const big = new InferenceClient([h.target], { maxMessageBytes: 8 * 1024 * 1024 });
    try {
      const err = await failure(big.infer('tiny-detector', [detectorInput({ shape: [32, 3, 32, 32], data: images(32) })]));
      expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
      const ok = await big.infer('tiny-detector', [detectorInput({ shape: [8, 3, 32, 32], data: images(8) })]);
      expect(ok.outputs[0].shape).toEqual([8, 16, 6]);
    } finally {
      big.close();
    }
  });
});

describe('load shedding and deadlines', () => {
  it('a full queue answers RESOURCE_EXHAUSTED and still completes what it accepted', async () => {
    // The slow model keeps 2 waiting at most, one instance, ~40 ms per request.
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => h.client.infer('slow', [slowInput()])));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    expect(rejected.length, 'some requests must be shed').toBeGreaterThan(0);
    expect(fulfilled.length, 'the running and queued requests must complete').toBeGreaterThanOrEqual(1);
    for (const r of rejected) {
      expect((r.reason as InferenceError).code).toBe(status.RESOURCE_EXHAUSTED);
      expect((r.reason as InferenceError).message).toContain('queue of model slow is full');
    }
  });

  it('a request whose deadline expires in the queue is dropped before compute', async () => {
    const before = await scrape(h.server.metricsPort);
    const computedBefore = metricValue(before, 'riverwatch_inference_batch_size_count', { model: 'slow' });
    const droppedBefore = metricValue(before, 'riverwatch_inference_dropped_total', { model: 'slow', reason: 'deadline' });
    // The first request occupies the only instance; the second waits behind it with a 5 ms deadline.
    const blocker = h.client.infer('slow', [slowInput()]);
    const late = failure(h.client.infer('slow', [slowInput()], { deadlineMs: 5 }));
    expect((await late).code).toBe(status.DEADLINE_EXCEEDED);
    await blocker;
    // Wait until the scheduler has looked at its queue again (after the blocker).
    await h.client.infer('slow', [slowInput()]);
    const after = await scrape(h.server.metricsPort);
    expect(metricValue(after, 'riverwatch_inference_dropped_total', { model: 'slow', reason: 'deadline' }) - droppedBefore).toBe(1);
    // Only the blocker and the follow-up ran; the expired request was never computed.
    expect(metricValue(after, 'riverwatch_inference_batch_size_count', { model: 'slow' }) - computedBefore).toBe(2);
  });
});

describe('hostile bytes on the port', () => {
  it('random bytes on a connection do not disturb other clients', async () => {
    const socket = connect(h.server.grpcPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => {});
    socket.write(randomBytes(64 * 1024));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const res = await h.client.infer('tiny-detector', [detectorInput()]);
    expect(res.outputs[0].shape).toEqual([1, 16, 6]);
    socket.destroy();
    await closed;
  });

  it('a truncated protobuf fails that call only', async () => {
    const Service = loadInferenceProto().inference.GRPCInferenceService;
    const valid = Service.service.ModelInfer.requestSerialize({
      model_name: 'tiny-detector',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32] }],
      raw_input_contents: [images(1)],
    });
    const truncated = valid.subarray(0, Math.floor(valid.length / 2));
    const raw = new grpc.Client(h.target, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          '/inference.GRPCInferenceService/ModelInfer',
          (b: Buffer) => b,
          (b: Buffer) => b,
          truncated,
          { deadline: Date.now() + 10_000 },
          (e) => resolve(e),
        ),
      );
      expect(err, 'the truncated call must fail').not.toBeNull();
      expect(err!.code).not.toBe(status.OK);
    } finally {
      raw.close();
    }
    const res = await h.client.infer('tiny-detector', [detectorInput()]);
    expect(res.outputs[0].shape).toEqual([1, 16, 6]);
  });
});
