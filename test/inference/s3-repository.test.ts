import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { InferenceError } from '@riverwatch/inference-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.ts';
import { FIXTURE_MODELS, images, startHarness } from './support.ts';

let ctx: TestContext;
let dataDir: string;
beforeEach(async () => {
  ctx = await createTestContext();
  dataDir = mkdtempSync(join(tmpdir(), 'rw-s3-models-'));
  await ctx.store.ensureBuckets(['models']);
});
afterEach(async () => {
  await ctx.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

async function upload(key: string, file: string): Promise<void> {
  await ctx.store.put('models', key, readFileSync(join(FIXTURE_MODELS, file)), 'application/octet-stream');
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('S3 model repository', () => {
  it('serves models from an S3 prefix and follows new versions and deletions there', async () => {
    const bucket = ctx.store.bucket('models');
    await upload('repo/tiny-detector/config.json', 'tiny-detector/config.json');
    await upload('repo/tiny-detector/1/model.onnx', 'tiny-detector/1/model.onnx');
    // Outside the layout: ignored, not mirrored.
    await ctx.store.put('models', 'repo/README.txt', Buffer.from('not a model'), 'text/plain');

    const h = await startHarness({
      models: [],
      pollIntervalMs: 100,
      s3Endpoint: ctx.s3Endpoint,
      env: { ...ctx.env, MODEL_REPOSITORY: `s3://${bucket}/repo`, DATA_DIR: dataDir },
    });
    const call = () =>
      h.client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: images(1) }]);
    try {
      expect((await call()).modelVersion).toBe('1');

      await upload('repo/tiny-detector/2/model.onnx', 'tiny-detector/2/model.onnx');
      await eventually('version 2 is served from S3', async () => (await call()).modelVersion === '2');

      await ctx.store.client.removeObjects(bucket, ['repo/tiny-detector/config.json', 'repo/tiny-detector/1/model.onnx', 'repo/tiny-detector/2/model.onnx']);
      await eventually('the deleted model is gone', async () =>
        call().then(
          () => false,
          (e: InferenceError) => e.code === status.NOT_FOUND,
        ),
      );
    } finally {
      await h.stop();
    }
  });

  it('refuses to start when the S3 repository cannot be read, naming the setting', async () => {
    const err = await startHarness({
      models: [],
      s3Endpoint: 'http://127.0.0.1:1',
      env: { ...ctx.env, MODEL_REPOSITORY: 's3://no-such-bucket/repo', DATA_DIR: dataDir },
    }).then(
      async (h) => {
        await h.stop();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/s3:\/\/no-such-bucket\/repo.*MODEL_REPOSITORY/);
  });
});
