import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { loadHealthProto, loadInferenceProto } from '@riverwatch/proto';
import { InferenceError } from '@riverwatch/inference-client';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLIENT_PREFACE, encodeFrame, FrameType, grpcHeaders } from '../fuzz/support/http2-frames.ts';
import { capturingLogger, images, metricValue, scrape, startHarness } from './support.ts';

function healthClient(target: string) {
  const Health = loadHealthProto().grpc.health.v1.Health;
  return new Health(target, grpc.credentials.createInsecure());
}

function repositoryClient(target: string) {
  const Service = loadInferenceProto().inference.GRPCInferenceService;
  const c = new Service(target, grpc.credentials.createInsecure());
  const opts = () => ({ deadline: Date.now() + 20_000 });
  return {
    load: (model_name: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => c.RepositoryModelLoad({ model_name }, opts(), (err) => resolve(err))),
    unload: (model_name: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => c.RepositoryModelUnload({ model_name }, opts(), (err) => resolve(err))),
    modelReady: (name: string) =>
      new Promise<boolean>((resolve, reject) => c.ModelReady({ name }, opts(), (err, res) => (err ? reject(err) : resolve(res!.ready)))),
    close: () => c.close(),
  };
}

const detectorCall = (h: Awaited<ReturnType<typeof startHarness>>, version?: string) =>
  h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1) }], { version });


/** Batches the slow model has started (the batch-size histogram counts at dispatch). */
async function slowRuns(metricsPort: number): Promise<number> {
  return metricValue(await scrape(metricsPort), 'riverwatch_inference_batch_size_count', { model: 'slow' });
}

/** Polls until check() holds; fails the test with `what` after 15 s. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('health', () => {
  it('is SERVING once models are loaded and NOT_SERVING while draining; in-flight calls finish', async () => {
    const h = await startHarness({ models: ['tiny-detector', 'slow'] });
    const health = healthClient(h.target);
    try {
      const check = (service: string) =>
        new Promise<{ status?: string; code?: number }>((resolve) =>
          health.Check({ service }, { deadline: Date.now() + 5000 }, (err, res) => resolve(err ? { code: err.code } : { status: res!.status })),
        );
      expect(await check('')).toEqual({ status: 'SERVING' });
      expect(await check('inference.GRPCInferenceService')).toEqual({ status: 'SERVING' });
      expect(await check('no.Such')).toEqual({ code: status.NOT_FOUND });

      const seen: string[] = [];
      const watch = health.Watch({ service: '' });
      watch.on('data', (m: { status: string }) => seen.push(m.status));
      watch.on('error', () => {});
      await eventually('the watch saw SERVING', async () => seen.includes('SERVING'));

      const runsBefore = await slowRuns(h.server.metricsPort);
      const inFlight = h.client.infer('slow', [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: Buffer.alloc(1024) }]);
      await eventually('the slow request reached the model', async () => (await slowRuns(h.server.metricsPort)) > runsBefore);
      const stopping = h.server.stop();
      await eventually('the watch saw NOT_SERVING', async () => seen.includes('NOT_SERVING'));
      expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
      const res = await inFlight;
      expect(res.outputs[0].shape).toEqual([1, 256]);
      await stopping;
      expect(await h.client.serverReady(), 'a stopped server is not ready').toBe(false);
    } finally {
      health.close();
      await h.stop();
    }
  });
});

describe('stop', () => {
  it('answers the calls in flight, then closes a connection its peer never closes instead of waiting out the deadline', async () => {
    // The forced-shutdown deadline is far beyond this test's timeout: reaching it would fail the test.
    const h = await startHarness({ models: ['slow'], env: { INFERENCE_DEADLINE_MS: '300000' } });
    // An HTTP/2 peer that starts a call, never sends its message, and ignores everything, GOAWAY included.
    const peer = connect(Number(h.target.split(':')[1]), '127.0.0.1');
    peer.on('data', () => {});
    const peerClosed = new Promise<void>((resolve) => peer.once('close', () => resolve()));
    peer.on('error', () => {});
    try {
      await new Promise<void>((resolve) => peer.once('connect', () => resolve()));
      const END_HEADERS = 0x4;
      peer.write(
        Buffer.concat([
          CLIENT_PREFACE,
          encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, payload: new Uint8Array() }),
          encodeFrame({ type: FrameType.HEADERS, flags: END_HEADERS, streamId: 1, payload: grpcHeaders('/inference.GRPCInferenceService/ModelInfer') }),
        ]),
      );
      const runsBefore = await slowRuns(h.server.metricsPort);
      const inFlight = h.client.infer('slow', [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: Buffer.alloc(1024) }]);
      await eventually('the slow request reached the model', async () => (await slowRuns(h.server.metricsPort)) > runsBefore);
      const stopping = h.server.stop();
      expect((await inFlight).outputs[0].shape).toEqual([1, 256]);
      await stopping;
      await peerClosed;
    } finally {
      peer.destroy();
      await h.stop();
    }
  }, 30_000);
});

describe('model repository', () => {
  it('unloads and loads models by RPC; unknown names are NOT_FOUND', async () => {
    const h = await startHarness({ models: ['tiny-detector', 'slow'] });
    const repo = repositoryClient(h.target);
    try {
      expect(await repo.modelReady('tiny-detector')).toBe(true);
      // A request already running on the model finishes even though the model is unloaded under it.
      const runsBefore = await slowRuns(h.server.metricsPort);
      const inFlight = h.client.infer('slow', [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: Buffer.alloc(1024) }]);
      await eventually('the slow request reached the model', async () => (await slowRuns(h.server.metricsPort)) > runsBefore);
      expect(await repo.unload('slow')).toBeNull();
      expect((await inFlight).outputs[0].shape).toEqual([1, 256]);

      expect(await repo.unload('tiny-detector')).toBeNull();
      expect(await repo.modelReady('tiny-detector')).toBe(false);
      const gone = await detectorCall(h).catch((e: InferenceError) => e);
      expect((gone as InferenceError).code).toBe(status.NOT_FOUND);

      expect(await repo.load('tiny-detector')).toBeNull();
      expect((await detectorCall(h)).modelVersion).toBe('2');

      expect((await repo.load('no-such-model'))?.code).toBe(status.NOT_FOUND);
      expect((await repo.unload('no-such-model'))?.code).toBe(status.NOT_FOUND);
    } finally {
      repo.close();
      await h.stop();
    }
  });

  it('reloads changed files without failing in-flight requests, picks up new versions and drops removed models', async () => {
    const { cpSync, copyFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const h = await startHarness({ models: ['tiny-detector', 'no-batch'], pollIntervalMs: 100 });
    try {
      const v1Before = (await detectorCall(h, '1')).outputs[0].data;
      const v2 = (await detectorCall(h, '2')).outputs[0].data;

      // Keep two callers busy through the reload; none of their calls may fail.
      let running = true;
      const failures: unknown[] = [];
      let calls = 0;
      const loop = async () => {
        while (running) {
          await detectorCall(h, '1').then(
            () => calls++,
            (e: unknown) => failures.push(e),
          );
        }
      };
      const loops = [loop(), loop()];

      // Replace version 1's weights with version 2's: after the reload, version 1 answers like version 2.
      copyFileSync(join(h.repository, 'tiny-detector/2/model.onnx'), join(h.repository, 'tiny-detector/1/model.onnx.tmp'));
      const { renameSync } = await import('node:fs');
      renameSync(join(h.repository, 'tiny-detector/1/model.onnx.tmp'), join(h.repository, 'tiny-detector/1/model.onnx'));
      await eventually('version 1 serves the new weights', async () => (await detectorCall(h, '1')).outputs[0].data.equals(v2));
      running = false;
      await Promise.all(loops);
      expect(failures, 'no request may fail during a reload').toEqual([]);
      expect(calls).toBeGreaterThan(0);
      expect(v1Before.equals(v2)).toBe(false);

      cpSync(join(h.repository, 'tiny-detector/2'), join(h.repository, 'tiny-detector/3'), { recursive: true });
      await eventually('version 3 is listed', async () => (await h.client.modelMetadata('tiny-detector')).versions.includes('3'));
      expect((await detectorCall(h)).modelVersion).toBe('3');

      rmSync(join(h.repository, 'no-batch'), { recursive: true });
      await eventually('no-batch is gone', async () =>
        h.client.modelMetadata('no-batch').then(
          () => false,
          (e: InferenceError) => e.code === status.NOT_FOUND,
        ),
      );
    } finally {
      await h.stop();
    }
  });
});

describe('broken repository files', () => {
  it('a model whose files are broken is skipped at start-up, and a broken reload keeps the old version serving', async () => {
    const { writeFileSync, mkdirSync, cpSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { logger, lines } = capturingLogger();
    const h = await startHarness({
      models: ['tiny-detector', 'no-batch'],
      pollIntervalMs: 100,
      logger,
      prepare: (repo) => {
        mkdirSync(join(repo, 'bad-json/1'), { recursive: true });
        cpSync(join(repo, 'no-batch/1/model.onnx'), join(repo, 'bad-json/1/model.onnx'));
        writeFileSync(join(repo, 'bad-json/config.json'), '{ not json');
        mkdirSync(join(repo, 'bad-onnx/1'), { recursive: true });
        writeFileSync(join(repo, 'bad-onnx/config.json'), '{"maxBatchSize": 0}');
        writeFileSync(join(repo, 'bad-onnx/1/model.onnx'), 'this is not a protobuf');
      },
    });
    try {
      const failedAtStart = lines.filter((l) => l.msg === 'model failed to load').map((l) => l.model);
      expect(failedAtStart.sort()).toEqual(['bad-json', 'bad-onnx']);
      for (const name of ['bad-json', 'bad-onnx']) {
        const e = await h.client.modelMetadata(name).catch((x: InferenceError) => x);
        expect((e as InferenceError).code, `${name} must not be served`).toBe(status.NOT_FOUND);
      }
      const repo = repositoryClient(h.target);
      try {
        expect((await repo.load('bad-json'))?.details).toMatch(/config.json is not valid JSON/);
      } finally {
        repo.close();
      }

      const before = (await detectorCall(h, '1')).outputs[0].data;
      writeFileSync(join(h.repository, 'tiny-detector/1/model.onnx'), 'truncated');
      await eventually('the poller tried and failed to reload tiny-detector', async () =>
        lines.some((l) => l.model === 'tiny-detector' && /reload failed/.test(l.msg)),
      );
      // Version 1 still answers, with its old weights; the other models are untouched.
      expect((await detectorCall(h, '1')).outputs[0].data.equals(before)).toBe(true);
      expect((await h.client.modelMetadata('no-batch')).name).toBe('no-batch');
    } finally {
      await h.stop();
    }
  });
});

describe('execution providers', () => {

  it('falls back from CUDA to CPU with one log line when no GPU is present', async () => {
    const { logger, lines } = capturingLogger();
    const h = await startHarness({ models: ['no-batch', 'tiny-detector'], env: { INFERENCE_PROVIDERS: 'cuda,cpu' }, logger });
    try {
      const model = h.server.models.get('no-batch');
      if (model.provider === 'cuda') return; // a machine with a working CUDA provider has nothing to fall back from
      expect(model.provider).toBe('cpu');
      expect(lines.filter((l) => /CUDA/.test(l.msg))).toHaveLength(1);
      const res = await h.client.infer('no-batch', [{ name: 'x', datatype: 'FP32', shape: [4], data: Buffer.alloc(16) }]);
      expect(res.outputs[0].shape).toEqual([4]);
    } finally {
      await h.stop();
    }
  });

  it('fails start-up instead when a GPU is required and CUDA is unavailable', async () => {
    const started = startHarness({ models: ['no-batch'], env: { INFERENCE_PROVIDERS: 'cuda', INFERENCE_REQUIRE_GPU: 'true' } });
    const outcome = await started.then(
      async (h) => {
        const provider = h.server.models.get('no-batch').provider;
        await h.stop();
        return provider;
      },
      (e: Error) => e,
    );
    if (outcome === 'cuda') return; // a real GPU: nothing to refuse
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/CUDA execution provider unavailable/);
  });
});
