import type { InferResult } from '@riverwatch/inference-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { images, metricValue, readFp32, scrape, startHarness, type InferenceHarness } from './support.ts';

let h: InferenceHarness;
beforeAll(async () => {
  h = await startHarness({ models: ['tiny-detector', 'no-batch', 'int-inputs'] });
});
afterAll(async () => {
  await h?.stop();
});

async function batchStats(model: string): Promise<{ runs: number; samples: number }> {
  const text = await scrape(h.server.metricsPort);
  return {
    runs: metricValue(text, 'riverwatch_inference_batch_size_count', { model }),
    samples: metricValue(text, 'riverwatch_inference_batch_size_sum', { model }),
  };
}

describe('dynamic batching', () => {
  it('stacks concurrent requests into fewer runs and splits each answer back to its caller', async () => {
    // Each request's image has its own value, so a mixed-up split would show.
    const values = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
    const alone: InferResult[] = [];
    for (const v of values) {
      alone.push(await h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1, v) }]));
    }
    const before = await batchStats('tiny-detector');
    const together = await Promise.all(
      values.map((v) => h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1, v) }])),
    );
    const after = await batchStats('tiny-detector');
    expect(after.samples - before.samples).toBe(8);
    expect(after.runs - before.runs, '8 concurrent requests must share runs').toBeLessThan(8);
    together.forEach((res, i) => {
      expect(res.outputs[0].shape).toEqual([1, 16, 6]);
      const got = readFp32(res.outputs[0].data);
      const want = readFp32(alone[i].outputs[0].data);
      got.forEach((g, k) => expect(g).toBeCloseTo(want[k], 5));
    });
  });

  it('stacks requests that carry several samples each, and multi-input models', async () => {
    const before = await batchStats('int-inputs');
    const calls = [1, 2, 1].map((n, i) =>
      h.client.infer('int-inputs', [
        { name: 'pixels', datatype: 'UINT8', shape: [n, 8], data: Buffer.alloc(n * 8, i + 1) },
        { name: 'offset', datatype: 'INT64', shape: [n, 1], data: Buffer.from(new BigInt64Array(n).fill(BigInt(i * 100)).buffer) },
      ]),
    );
    const results = await Promise.all(calls);
    const after = await batchStats('int-inputs');
    expect(after.samples - before.samples).toBe(4);
    results.forEach((res, i) => {
      const sum = res.outputs.find((o) => o.name === 'sum')!;
      const n = [1, 2, 1][i];
      expect(sum.shape).toEqual([n, 1]);
      for (let k = 0; k < n; k++) expect(sum.data.readBigInt64LE(k * 8)).toBe(BigInt(8 * (i + 1) + i * 100));
    });
  });

  it('runs a model without a batch dimension request by request', async () => {
    const before = await batchStats('no-batch');
    const results = await Promise.all(
      [1, 2, 3, 4].map((v) => h.client.infer('no-batch', [{ name: 'x', datatype: 'FP32', shape: [4], data: Buffer.from(new Float32Array(4).fill(v).buffer) }])),
    );
    const after = await batchStats('no-batch');
    expect(after.runs - before.runs).toBe(4);
    expect(after.samples - before.samples).toBe(4);
    results.forEach((res, i) => expect(readFp32(res.outputs[0].data)).toEqual(new Array(4).fill(2 * (i + 1) + 1)));
  });

  it('exports queue time, compute time, time in the server and request counts by model and status', async () => {
    const wrongName = h.client.infer('tiny-detector', [{ name: 'nope', datatype: 'FP32', shape: [1, 3, 32, 32], data: Buffer.alloc(3 * 32 * 32 * 4) }]);
    await expect(wrongName).rejects.toMatchObject({ code: 3 });
    const text = await scrape(h.server.metricsPort);
    const ok = metricValue(text, 'riverwatch_inference_requests_total', { model: 'tiny-detector', status: 'OK' });
    expect(ok).toBeGreaterThanOrEqual(16);
    // Every answered request, good or bad, is timed under the status it got.
    expect(metricValue(text, 'riverwatch_inference_request_seconds_count', { model: 'tiny-detector', status: 'OK' })).toBe(ok);
    expect(metricValue(text, 'riverwatch_inference_request_seconds_count', { model: 'tiny-detector', status: 'INVALID_ARGUMENT' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'riverwatch_inference_request_seconds_sum', { model: 'tiny-detector', status: 'OK' })).toBeGreaterThan(0);
    expect(metricValue(text, 'riverwatch_inference_queue_seconds_count', { model: 'tiny-detector' })).toBeGreaterThanOrEqual(16);
    expect(metricValue(text, 'riverwatch_inference_compute_seconds_count', { model: 'tiny-detector' })).toBeGreaterThan(0);
  });
});
