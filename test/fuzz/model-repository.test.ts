import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferenceProto } from '@riverwatch/proto';
import { parseConfig } from '../../services/inference/src/model-repository.ts';
import { sessionOptions } from '../../services/inference/src/session-options.ts';
import { FIXTURE_MODELS, images, startHarness, type InferenceHarness } from '../inference/support.ts';
import { assertMemoryBounded, fuzz, fuzzSurface, memoryAfterGc, replayRegressions } from './support/fuzz.ts';

/**
 * Random model config.json and ONNX bytes into the model repository:
 * parseConfig (what the repository reads each config.json with) and onnxruntime's
 * session creation with the server's own options (what each session thread runs),
 * in-process for volume; then broken models written into a running server's
 * repository and loaded by RPC: each load is refused with a clear error and the
 * server keeps serving its other model.
 */

const validConfig = JSON.parse(readFileSync(join(FIXTURE_MODELS, 'tiny-detector/config.json'), 'utf8')) as Record<string, unknown>;
const validOnnx = readFileSync(join(FIXTURE_MODELS, 'tiny-detector/1/model.onnx'));

/** config.json text: the real one with fields replaced by anything, any JSON, or broken JSON. */
const configText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .dictionary(
        fc.constantFrom('maxBatchSize', 'instances', 'dynamicBatching', 'tiling', 'name', 'input', 'outputs', 'postprocess', '__proto__', 'x'),
        fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.record({ maxQueueDelayMs: fc.jsonValue({ maxDepth: 1 }), maxQueueSize: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
          fc.record({ enabled: fc.jsonValue({ maxDepth: 1 }), overlap: fc.jsonValue({ maxDepth: 1 }), tileWidth: fc.jsonValue({ maxDepth: 1 }), fullFrame: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
          fc.constantFrom(0, -1, 1.5, 1025, 65, 1e308, '8', null, true),
        ),
        { maxKeys: 4 },
      )
      .map((over) => JSON.stringify({ ...validConfig, ...over })),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constant(JSON.stringify(validConfig))).map(([n, t]) => t.slice(0, n % t.length)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

function checkConfig(text: string): void {
  let config;
  try {
    config = parseConfig('fuzz-model', text);
  } catch (err) {
    // Refused: the message names the file and says what is wrong (not a TypeError from deep inside).
    expect((err as Error).message).toMatch(/^fuzz-model\/config\.json/);
    expect((err as Error).message).not.toMatch(/Cannot read properties|undefined is not|is not a function/);
    return;
  }
  // Accepted: the file held an object, its nested settings objects, and the serving fields are usable as they are.
  const raw = JSON.parse(text) as unknown;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  expect(isObject(raw)).toBe(true);
  for (const field of ['dynamicBatching', 'tiling']) {
    const v = (raw as Record<string, unknown>)[field];
    if (v !== undefined) expect(isObject(v), field).toBe(true);
  }
  expect(Number.isInteger(config.maxBatchSize) && config.maxBatchSize >= 0 && config.maxBatchSize <= 1024).toBe(true);
  expect(Number.isInteger(config.instances) && config.instances! >= 1 && config.instances! <= 64).toBe(true);
  if (config.dynamicBatching) {
    expect(Number.isInteger(config.dynamicBatching.maxQueueDelayMs)).toBe(true);
    expect(Number.isInteger(config.dynamicBatching.maxQueueSize)).toBe(true);
  }
  expect(config.name).toBe('fuzz-model');
}

/** ONNX bytes: the real model with bytes overwritten and perhaps cut short, or noise. */
const onnxBytes: fc.Arbitrary<Buffer> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), cut: fc.option(fc.nat(), { nil: undefined }) })
      .map(({ flips, cut }) => {
        const b = Buffer.from(validOnnx);
        for (const [at, v] of flips) b[at % b.length] = v;
        return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
      }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)) },
);

const quietOptions = { ...sessionOptions(1), executionProviders: ['cpu'], logSeverityLevel: 4 as const };

async function checkOnnx(bytes: Buffer): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, quietOptions);
  } catch (err) {
    expect((err as Error).message.length).toBeGreaterThan(0);
    return;
  }
  await session.release();
}

describe('fuzz: model config.json', () => {
  it('replays saved regression cases', async () => {
    await replayRegressions<string>('model-config', checkConfig);
  });

  it('accepts usable serving fields or refuses the file with a message naming it', async () => {
    const surface = fuzzSurface('model-config', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, configText, checkConfig);
    assertMemoryBounded(surface.name, before);
  });
});

describe('fuzz: ONNX bytes into onnxruntime with the server options', () => {
  it('replays saved regression cases', async () => {
    await replayRegressions<Buffer>('model-onnx', checkOnnx);
  });

  it('loads or refuses every byte string with an error, never crashing the process', async () => {
    const surface = fuzzSurface('model-onnx', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, onnxBytes, checkOnnx);
    assertMemoryBounded(surface.name, before);
  });
});

describe('fuzz: broken models in a running server', () => {
  let h: InferenceHarness;
  let rpc: InstanceType<ReturnType<typeof loadInferenceProto>['inference']['GRPCInferenceService']>;
  beforeAll(async () => {
    h = await startHarness({ models: ['tiny-detector'] });
    rpc = new (loadInferenceProto().inference.GRPCInferenceService)(h.target, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    rpc?.close();
    await h?.stop();
  });

  const load = (model_name: string) =>
    new Promise<grpc.ServiceError | null>((resolve) => rpc.RepositoryModelLoad({ model_name }, { deadline: Date.now() + 30_000 }, (err) => resolve(err)));

  it('refuses each broken model with a clear error and keeps serving the others', async () => {
    // Each case starts a session thread: a few dozen here, the volume is in the two surfaces above.
    const surface = fuzzSurface('model-repository-server', 40);
    let n = 0;
    await fuzz(
      surface,
      fc.record({ config: configText, onnx: onnxBytes, withOnnx: fc.boolean() }),
      async ({ config, onnx, withOnnx }) => {
        const name = `fuzz-${n++}`;
        mkdirSync(join(h.repository, name, '1'), { recursive: true });
        writeFileSync(join(h.repository, name, 'config.json'), config);
        if (withOnnx) writeFileSync(join(h.repository, name, '1', 'model.onnx'), onnx);
        const err = await load(name);
        if (err) expect(err.details).toMatch(new RegExp(`${name}|config\\.json|model\\.onnx|onnx|protobuf|Load model|tensor`, 'i'));
        // Missing files are NOT_FOUND; files that do not load are the caller's to fix (Triton: INVALID_ARGUMENT), never INTERNAL.
        if (err) expect([grpc.status.NOT_FOUND, grpc.status.INVALID_ARGUMENT]).toContain(err.code);
        const res = await h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1) }]);
        expect(res.outputs[0]!.shape).toEqual([1, 16, 6]);
      },
      { shrink: false },
    );
  });
});
