import { createServer } from 'node:net';
import { status } from '@grpc/grpc-js';
import { InferenceClient, InferenceError } from '@riverwatch/inference-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { images, metricValue, scrape, startHarness, type InferenceHarness } from './support.ts';

/** Two servers whose tiny-detector differs: A serves only version 1, B only version 2. */
let a: InferenceHarness;
let b: InferenceHarness;
let deadPort: number;

beforeAll(async () => {
  const { rmSync } = await import('node:fs');
  a = await startHarness({ models: ['tiny-detector', 'slow'] });
  b = await startHarness({ models: ['tiny-detector'] });
  rmSync(`${a.repository}/tiny-detector/2`, { recursive: true });
  rmSync(`${b.repository}/tiny-detector/1`, { recursive: true });
  await Promise.all([a.server.models.load('tiny-detector'), b.server.models.load('tiny-detector')]);
  // A port with nobody listening: bind, note it, close.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  deadPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

const input = [{ name: 'images', datatype: 'FP32' as const, shape: [1, 3, 32, 32], data: images(1) }];

describe('InferenceClient', () => {
  it('spreads calls round-robin over its targets', async () => {
    const client = new InferenceClient([a.target, b.target]);
    try {
      const versions: string[] = [];
      for (let i = 0; i < 6; i++) versions.push((await client.infer('tiny-detector', input)).modelVersion);
      expect(versions).toEqual(['1', '2', '1', '2', '1', '2']);
    } finally {
      client.close();
    }
  });

  it('accepts a dns:/// target (a Kubernetes headless service) and balances its addresses itself', async () => {
    const client = new InferenceClient([`dns:///localhost:${b.server.grpcPort}`]);
    try {
      expect((await client.infer('tiny-detector', input)).modelVersion).toBe('2');
    } finally {
      client.close();
    }
  });

  it('retries UNAVAILABLE on the next target', async () => {
    const client = new InferenceClient([`127.0.0.1:${deadPort}`, b.target], { retries: 1 });
    try {
      for (let i = 0; i < 4; i++) expect((await client.infer('tiny-detector', input)).modelVersion).toBe('2');
    } finally {
      client.close();
    }
  });

  it('gives up with UNAVAILABLE when no target answers', async () => {
    const client = new InferenceClient([`127.0.0.1:${deadPort}`], { retries: 2, deadlineMs: 5000 });
    try {
      const err = await client.infer('tiny-detector', input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InferenceError);
      expect((err as InferenceError).code).toBe(status.UNAVAILABLE);
      expect(await client.serverReady(), 'unreachable means not ready, not a throw').toBe(false);
    } finally {
      client.close();
    }
  });

  it('does not retry other errors', async () => {
    const client = new InferenceClient([a.target], { retries: 3 });
    try {
      const label = { model: 'tiny-detector', status: 'INVALID_ARGUMENT' };
      const before = metricValue(await scrape(a.server.metricsPort), 'riverwatch_inference_requests_total', label);
      const err = await client.infer('tiny-detector', [{ ...input[0], shape: [2, 3, 32, 32] }]).catch((e: unknown) => e);
      expect((err as InferenceError).code).toBe(status.INVALID_ARGUMENT);
      const after = metricValue(await scrape(a.server.metricsPort), 'riverwatch_inference_requests_total', label);
      expect(after - before, 'exactly one attempt reached the server').toBe(1);
    } finally {
      client.close();
    }
  });

  it('puts a deadline on every call', async () => {
    const client = new InferenceClient([a.target], { deadlineMs: 1 });
    try {
      const err = await client.infer('slow', [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: Buffer.alloc(1024) }]).catch((e: unknown) => e);
      expect((err as InferenceError).code).toBe(status.DEADLINE_EXCEEDED);
      const meta = await client.modelMetadata('slow').catch((e: unknown) => e);
      // Metadata is cheap; with a 1 ms budget it may or may not make it, but it never hangs.
      expect(meta instanceof InferenceError ? meta.code : status.OK).toBeOneOf([status.OK, status.DEADLINE_EXCEEDED]);
    } finally {
      client.close();
    }
  });

  it('encodes each request into a reused buffer that a later request can overwrite without harm', async () => {
    const client = new InferenceClient([a.target], { deadlineMs: 5000 });
    // The pool is private; its size is what this test is about.
    const pool = (client as unknown as { encodeBuffers: { size: number } }).encodeBuffers;
    const frame = (v: number) => [{ ...input[0], data: images(1, v) }];
    const values = (r: { outputs: { data: Buffer }[] }) => r.outputs.map((o) => o.data.toString('base64'));
    try {
      const dark = values(await client.infer('tiny-detector', frame(0.1)));
      const bright = values(await client.infer('tiny-detector', frame(0.9)));
      expect(bright).not.toEqual(dark);
      expect(pool.size, 'one buffer, handed back after each call').toBe(1);
      // A call that fails gives its buffer back too, and the next one writes over it.
      await expect(client.infer('no-such-model', frame(0.5))).rejects.toMatchObject({ code: status.NOT_FOUND });
      expect(pool.size).toBe(1);
      expect(values(await client.infer('tiny-detector', frame(0.1)))).toEqual(dark);
      // Concurrent calls each hold their own buffer; every answer is its own request's.
      const answers = await Promise.all([0.1, 0.9, 0.1, 0.9].map((v) => client.infer('tiny-detector', frame(v))));
      expect(answers.map(values)).toEqual([dark, bright, dark, bright]);
      expect(pool.size).toBe(4);
    } finally {
      client.close();
    }
  });

  it('reports readiness and model metadata', async () => {
    const client = new InferenceClient([a.target]);
    try {
      expect(await client.serverReady()).toBe(true);
      expect(await client.modelMetadata('tiny-detector')).toEqual({
        name: 'tiny-detector',
        versions: ['1'],
        inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 32, 32] }],
        outputs: [{ name: 'output0', datatype: 'FP32', shape: [-1, -1, -1] }],
      });
    } finally {
      client.close();
    }
  });
});
