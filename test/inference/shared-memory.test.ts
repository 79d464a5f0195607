/**
 * Triton's system shared-memory extension against a real server: a stock
 * client (built from the .proto alone) drives it by hand, and riverwatch's own
 * client uses it transparently, falling back to bytes whenever it must.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { InferenceClient } from '@riverwatch/inference-client';
import { freePort } from '@riverwatch/local-infra';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger, images, startHarness, stockClient, type InferenceHarness } from './support.ts';

const INPUT_BYTES = 3 * 32 * 32 * 4;
const OUTPUT_BYTES = 16 * 6 * 4;
const LOADER = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** A shm_open object made the way Triton's client utilities make one. */
function shmFile(key: string, bytes: number) {
  const path = `/dev/shm/${key}`;
  const fd = openSync(path, 'w+');
  ftruncateSync(fd, bytes);
  return {
    path,
    write: (at: number, data: Buffer) => writeSync(fd, data, 0, data.length, at),
    read: (at: number, n: number) => {
      const b = Buffer.alloc(n);
      readSync(fd, b, 0, n, at);
      return b;
    },
    remove: () => {
      closeSync(fd);
      rmSync(path, { force: true });
    },
  };
}

const p = (region: string, bytes: number, offset?: number) => ({
  shared_memory_region: { string_param: region },
  shared_memory_byte_size: { int64_param: bytes },
  ...(offset === undefined ? {} : { shared_memory_offset: { int64_param: offset } }),
});

const ownShmFiles = () => readdirSync('/dev/shm').filter((f) => f.startsWith(`riverwatch-${process.pid}-`));

let h: InferenceHarness;
let stock: ReturnType<typeof stockClient>;
const files: { remove(): void }[] = [];

beforeAll(async () => {
  h = await startHarness({ models: ['tiny-detector', 'no-batch', 'slow'], env: { INFERENCE_ALLOW_CLIENT_SHM: 'true' } });
  stock = stockClient(h.target, LOADER);
});
afterEach(async () => {
  for (const f of files.splice(0)) f.remove();
  await stock.call('SystemSharedMemoryUnregister', { name: '' });
});
afterAll(async () => {
  stock?.client.close();
  await h?.stop();
});

describe('system shared memory, as a stock Triton client uses it', () => {
  it('reads inputs from a region and writes outputs into it, with the same results as bytes', async () => {
    const meta = await stock.call<{ extensions: string[] }>('ServerMetadata', {});
    expect(meta.extensions).toContain('system_shared_memory');

    const key = `rw-test-${process.pid}-a`;
    const shm = shmFile(key, 64 + INPUT_BYTES + OUTPUT_BYTES);
    files.push(shm);
    const input = images(1, 0.3);
    shm.write(64, input);
    await stock.call('SystemSharedMemoryRegister', { name: 'io', key: `/${key}`, offset: 64, byte_size: INPUT_BYTES + OUTPUT_BYTES });
    const regions = await stock.call<{ regions: Record<string, { key: string; byte_size: number }> }>('SystemSharedMemoryStatus', { name: '' });
    expect(regions.regions.io).toMatchObject({ key: `/${key}`, byte_size: INPUT_BYTES + OUTPUT_BYTES });

    const res = await stock.call<{ outputs: { name: string; shape: number[] }[]; raw_output_contents: Buffer[] }>('ModelInfer', {
      model_name: 'tiny-detector',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], parameters: p('io', INPUT_BYTES) }],
      outputs: [{ name: 'output0', parameters: p('io', OUTPUT_BYTES, INPUT_BYTES) }],
    });
    expect(res.outputs[0]).toMatchObject({ name: 'output0', shape: [1, 16, 6] });
    // The output's bytes are in the region, not in the message.
    expect(res.raw_output_contents.every((b) => b.length === 0)).toBe(true);
    const viaBytes = await h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: input }]);
    expect(shm.read(64 + INPUT_BYTES, OUTPUT_BYTES).equals(viaBytes.outputs[0].data)).toBe(true);

    await stock.call('SystemSharedMemoryUnregister', { name: 'io' });
    expect((await stock.failure('SystemSharedMemoryStatus', { name: 'io' })).code).toBe(status.NOT_FOUND);
  });

  it('rejects bad regions and bad references with INVALID_ARGUMENT naming the problem, and keeps serving', async () => {
    const key = `rw-test-${process.pid}-b`;
    const shm = shmFile(key, INPUT_BYTES + 16);
    files.push(shm);
    const register = (req: object) => stock.failure('SystemSharedMemoryRegister', { name: 'r', key, offset: 0, byte_size: INPUT_BYTES, ...req });

    expect(await register({ key: '../etc/passwd' })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/not a shm_open name/) });
    expect(await register({ key: `rw-missing-${process.pid}` })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/ENOENT/) });
    expect(await register({ byte_size: INPUT_BYTES + 17 })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/holds \d+ bytes/) });
    await stock.call('SystemSharedMemoryRegister', { name: 'r', key, offset: 0, byte_size: INPUT_BYTES + 16 });
    expect((await register({})).code).toBe(status.ALREADY_EXISTS);

    const infer = (inputParams: object, outputs: object[] = []) =>
      stock.failure('ModelInfer', {
        model_name: 'tiny-detector',
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], parameters: inputParams }],
        outputs,
      });
    expect(await infer(p('nope', INPUT_BYTES))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/region 'nope' is not registered/) });
    expect(await infer(p('r', INPUT_BYTES - 4))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/needs 12288/) });
    expect(await infer(p('r', INPUT_BYTES, 32))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/run past shared memory region 'r'/) });
    expect(await infer({ shared_memory_region: { string_param: 'r' } })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/must be given together/),
    });
    // An output slot too small for the answer: an error for this call, nothing written past the slot.
    expect(await infer(p('r', INPUT_BYTES), [{ name: 'output0', parameters: p('r', 8, INPUT_BYTES) }])).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/holds 8/),
    });

    const ok = await h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1) }]);
    expect(ok.outputs[0].data.byteLength).toBe(OUTPUT_BYTES);
  });
});

describe('a call that ends before its answer', () => {
  it('leaves its output slot alone (the client may have lent it to another request)', async () => {
    const meta = await h.client.modelMetadata('slow');
    const outBytes = meta.outputs[0]!.shape.map((d) => (d < 0 ? 1 : d)).reduce((a, b) => a * b, 4);
    const inBytes = 256 * 4;
    const key = `rw-test-${process.pid}-c`;
    const shm = shmFile(key, inBytes + outBytes);
    files.push(shm);
    await stock.call('SystemSharedMemoryRegister', { name: 'slow', key, offset: 0, byte_size: inBytes + outBytes });
    const infer = (deadlineMs: number) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        stock.client.ModelInfer(
          {
            model_name: 'slow',
            inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], parameters: p('slow', inBytes) }],
            outputs: [{ name: meta.outputs[0]!.name, parameters: p('slow', outBytes, inBytes) }],
          },
          { deadline: Date.now() + deadlineMs },
          (err: grpc.ServiceError | null) => resolve(err),
        ),
      );
    const sentinel = Buffer.alloc(outBytes, 0xab);

    shm.write(inBytes, sentinel);
    expect((await infer(10))?.code).toBe(status.DEADLINE_EXCEEDED);
    await new Promise((r) => setTimeout(r, 300)); // the ~40 ms run has finished by now
    expect(shm.read(inBytes, outBytes).equals(sentinel)).toBe(true);

    // The same call given time to finish does write the slot.
    expect(await infer(10_000)).toBeNull();
    expect(shm.read(inBytes, outBytes).equals(sentinel)).toBe(false);
  });
});

describe('InferenceClient with sharedMemory', () => {
  const run = (c: InferenceClient, v: number) => c.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1, v) }]);

  it('gives the same answers as bytes, under more concurrency than it has slots, and leaves nothing in /dev/shm', async () => {
    const { logger, lines } = capturingLogger();
    const client = new InferenceClient([h.target], { sharedMemory: true, sharedMemorySlots: 2, logger });
    try {
      const values = Array.from({ length: 12 }, (_, i) => i / 12);
      const expected = await Promise.all(values.map((v) => run(h.client, v)));
      expect(new Set(expected.map((r) => r.outputs[0].data.toString('hex'))).size).toBeGreaterThan(1);
      const got = await Promise.all(values.map((v) => run(client, v)));
      for (let i = 0; i < values.length; i++) expect(got[i].outputs[0].data.equals(expected[i].outputs[0].data)).toBe(true);
      expect(lines.map((l) => l.msg)).toEqual(['tensors go through shared memory']);

      const regions = await stock.call<{ regions: Record<string, unknown> }>('SystemSharedMemoryStatus', { name: '' });
      expect(Object.keys(regions.regions)).toHaveLength(1);
      // Unlinked once registered: both processes hold descriptors, no name is left behind.
      expect(ownShmFiles()).toEqual([]);
    } finally {
      client.close();
    }
    await expect.poll(async () => Object.keys((await stock.call<{ regions: object }>('SystemSharedMemoryStatus', { name: '' })).regions).length).toBe(0);
  });

  it('survives the server forgetting its region (a restart): that request goes as bytes, the next re-registers', async () => {
    const { logger, lines } = capturingLogger();
    const client = new InferenceClient([h.target], { sharedMemory: true, logger });
    try {
      const first = await run(client, 0.2);
      await stock.call('SystemSharedMemoryUnregister', { name: '' });
      const again = await run(client, 0.2);
      expect(again.outputs[0].data.equals(first.outputs[0].data)).toBe(true);
      await run(client, 0.2);
      const regions = await stock.call<{ regions: object }>('SystemSharedMemoryStatus', { name: '' });
      expect(Object.keys(regions.regions)).toHaveLength(1);
      expect(lines.map((l) => l.msg)).toEqual([
        'tensors go through shared memory',
        'shared memory region failed; sending tensors as bytes',
        'tensors go through shared memory',
      ]);
    } finally {
      client.close();
    }
  });

  it('asks again for a region once a server that was not up yet has started', async () => {
    const port = await freePort();
    const { logger, lines } = capturingLogger();
    const client = new InferenceClient([`127.0.0.1:${port}`], { sharedMemory: true, sharedMemoryRetryMs: 300, deadlineMs: 1000, retries: 0, logger });
    let late: InferenceHarness | undefined;
    try {
      await expect(run(client, 0.1)).rejects.toMatchObject({ code: status.UNAVAILABLE });
      late = await startHarness({ models: ['tiny-detector'], env: { GRPC_PORT: String(port), INFERENCE_ALLOW_CLIENT_SHM: 'true' } });
      // grpc-js reconnects with backoff; once it does, a later call finds the region worth asking for again.
      const expected = (await run(h.client, 0.1)).outputs[0].data;
      await expect
        .poll(async () => (await run(client, 0.1).then((r) => r.outputs[0].data.equals(expected), () => false)) && lines.at(-1)?.msg, { timeout: 15_000, interval: 200 })
        .toBe('tensors go through shared memory');
      expect(lines[0]!.msg).toBe('shared memory unavailable; sending tensors as bytes');
      const res = await run(client, 0.1);
      expect(res.outputs[0].data.equals(expected)).toBe(true);
    } finally {
      client.close();
      await late?.stop();
    }
  });

  it('sends bytes to a server that does not allow client shared memory', async () => {
    const plain = await startHarness({ models: ['tiny-detector'] });
    const { logger, lines } = capturingLogger();
    const client = new InferenceClient([plain.target], { sharedMemory: true, logger });
    try {
      const meta = await stockClient(plain.target, LOADER).call<{ extensions: string[] }>('ServerMetadata', {});
      expect(meta.extensions).not.toContain('system_shared_memory');
      const register = await stockClient(plain.target, LOADER).failure('SystemSharedMemoryRegister', { name: 'x', key: 'x', offset: 0, byte_size: 1 });
      expect(register).toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringMatching(/INFERENCE_ALLOW_CLIENT_SHM/) });
      const res = await run(client, 0.4);
      expect(res.outputs[0].data.equals((await run(h.client, 0.4)).outputs[0].data)).toBe(true);
      expect(lines.map((l) => l.msg)).toEqual(['inference server does not offer shared memory; sending tensors as bytes']);
    } finally {
      client.close();
      await plain.stop();
    }
    expect(existsSync('/dev/shm')).toBe(true);
    expect(ownShmFiles()).toEqual([]);
  });
});
