import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfToNumber, images, readFp32, startHarness, stockClient, type InferenceHarness } from './support.ts';

let h: InferenceHarness;
beforeAll(async () => {
  h = await startHarness({ models: ['tiny-detector', 'tiny-detector-fp16', 'no-batch', 'int-inputs'] });
});
afterAll(async () => {
  await h?.stop();
});

describe('KServe v2 protocol', () => {
  it('serves the highest version by default and an older one when asked', async () => {
    const latest = await h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1) }], {
      requestId: 'req-1',
    });
    expect(latest.modelName).toBe('tiny-detector');
    expect(latest.modelVersion).toBe('2');
    expect(latest.id).toBe('req-1');
    expect(latest.outputs[0]).toMatchObject({ name: 'output0', datatype: 'FP32', shape: [1, 16, 6] });
    expect(latest.outputs[0].data.byteLength).toBe(16 * 6 * 4);

    const v1 = await h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1) }], {
      version: '1',
    });
    expect(v1.modelVersion).toBe('1');
    // Version 2 adds 0.5 before the sigmoid, so its scores are strictly higher.
    expect(readFp32(latest.outputs[0].data)[0]).toBeGreaterThan(readFp32(v1.outputs[0].data)[0]);
  });

  it('reports model metadata with -1 for the batch dimension', async () => {
    const meta = await h.client.modelMetadata('tiny-detector');
    expect(meta.versions).toEqual(['1', '2']);
    expect(meta.inputs).toEqual([{ name: 'images', datatype: 'FP32', shape: [-1, 3, 32, 32] }]);
    expect(meta.outputs[0]).toMatchObject({ name: 'output0', datatype: 'FP32' });
    expect(await h.client.modelMetadata('no-batch')).toMatchObject({ inputs: [{ name: 'x', datatype: 'FP32', shape: [4] }] });
  });

  it('runs FP16 tensors', async () => {
    const half = Buffer.alloc(3 * 32 * 32 * 2);
    for (let i = 0; i < half.length; i += 2) half.writeUInt16LE(0x3800, i); // 0.5
    const res = await h.client.infer('tiny-detector-fp16', [{ name: 'images', datatype: 'FP16', shape: [1, 3, 32, 32], data: half }]);
    const out = res.outputs[0];
    expect(out).toMatchObject({ datatype: 'FP16', shape: [1, 16, 6] });
    const values = Array.from({ length: out.data.length / 2 }, (_, i) => halfToNumber(out.data.readUInt16LE(i * 2)));
    expect(values.every((v) => v > 0 && v < 1)).toBe(true);
  });

  it('runs UINT8 and INT64 inputs and returns INT64 and FP32 outputs', async () => {
    const pixels = Buffer.from([1, 2, 3, 4, 5, 6, 7, 255, 0, 0, 0, 0, 0, 0, 0, 10]);
    const offset = Buffer.from(new BigInt64Array([1000n, -5n]).buffer);
    const res = await h.client.infer('int-inputs', [
      { name: 'pixels', datatype: 'UINT8', shape: [2, 8], data: pixels },
      { name: 'offset', datatype: 'INT64', shape: [2, 1], data: offset },
    ]);
    const sum = res.outputs.find((o) => o.name === 'sum')!;
    expect(sum).toMatchObject({ datatype: 'INT64', shape: [2, 1] });
    expect([sum.data.readBigInt64LE(0), sum.data.readBigInt64LE(8)]).toEqual([1000n + 283n, 5n]);
    const scaled = res.outputs.find((o) => o.name === 'scaled')!;
    expect(readFp32(scaled.data)[7]).toBeCloseTo(1, 5);
  });

  it('runs a model without a batch dimension', async () => {
    const res = await h.client.infer('no-batch', [{ name: 'x', datatype: 'FP32', shape: [4], data: Buffer.from(new Float32Array([0, 1, 2, -1]).buffer) }]);
    expect(res.outputs[0].shape).toEqual([4]);
    expect(readFp32(res.outputs[0].data)).toEqual([1, 3, 5, -1]);
  });

  it('returns only the requested outputs', async () => {
    const res = await h.client.infer(
      'int-inputs',
      [
        { name: 'pixels', datatype: 'UINT8', shape: [1, 8], data: Buffer.alloc(8, 1) },
        { name: 'offset', datatype: 'INT64', shape: [1, 1], data: Buffer.alloc(8) },
      ],
      { outputs: ['sum'] },
    );
    expect(res.outputs.map((o) => o.name)).toEqual(['sum']);
  });

  it('answers a stock client built only from the .proto, including typed contents', async () => {
    const { client, call } = stockClient(h.target);
    try {
      expect(await call('ServerLive', {})).toEqual({ live: true });
      expect(await call('ServerReady', {})).toEqual({ ready: true });
      expect(await call('ModelReady', { name: 'tiny-detector', version: '1' })).toEqual({ ready: true });
      expect(await call('ModelReady', { name: 'tiny-detector', version: '9' })).toEqual({ ready: false });
      expect(await call<{ name: string; extensions: string[] }>('ServerMetadata', {})).toMatchObject({ extensions: ['model_repository', 'riverwatch_frames'] });

      // Typed contents: FP32 in fp32_contents, UINT8 widened into uint_contents, INT64 in int64_contents.
      const typed = await call<{ outputs: { name: string; shape: string[] }[]; raw_output_contents: Buffer[] }>('ModelInfer', {
        model_name: 'int-inputs',
        inputs: [
          { name: 'pixels', datatype: 'UINT8', shape: [1, 8], contents: { uint_contents: [1, 2, 3, 4, 5, 6, 7, 8] } },
          { name: 'offset', datatype: 'INT64', shape: [1, 1], contents: { int64_contents: ['-36'] } },
        ],
      });
      expect(typed.outputs.map((o) => o.name)).toEqual(['sum', 'scaled']);
      expect(typed.outputs[0].shape).toEqual(['1', '1']);
      expect(typed.raw_output_contents[0].readBigInt64LE(0)).toBe(0n);

      const fp32 = await call<{ raw_output_contents: Buffer[] }>('ModelInfer', {
        model_name: 'no-batch',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [4], contents: { fp32_contents: [1, 2, 3, 4] } }],
      });
      expect(readFp32(fp32.raw_output_contents[0])).toEqual([3, 5, 7, 9]);

      // Raw bytes through the stock client give the same answer as typed contents.
      const raw = await call<{ raw_output_contents: Buffer[] }>('ModelInfer', {
        model_name: 'no-batch',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [4] }],
        raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)],
      });
      expect(raw.raw_output_contents[0]).toEqual(fp32.raw_output_contents[0]);
    } finally {
      client.close();
    }
  });
});
