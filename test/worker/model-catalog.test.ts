import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCatalog } from '../../services/worker/src/model-catalog.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';

describe('worker model catalog', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    await ctx.store.ensureBuckets(['models']);
  });
  afterAll(() => ctx.cleanup());

  it('reads config.json from a directory repository', async () => {
    const catalog = new ModelCatalog(`${repoRoot}models`);
    expect((await catalog.get('debris-yolov5')).format).toBe('yolov5');
    expect(await catalog.has('no-such-model')).toBe(false);
    await expect(catalog.get('../etc')).rejects.toThrow(/invalid model name/);
  });

  it('reads config.json from an s3:// repository and notices a changed object', async () => {
    const config = JSON.parse(readFileSync(`${repoRoot}models/debris-yolov5/config.json`, 'utf8'));
    const bucket = ctx.store.bucket('models');
    await ctx.store.put('models', 'repo/debris-yolov5/config.json', Buffer.from(JSON.stringify(config)), 'application/json');
    const catalog = new ModelCatalog(`s3://${bucket}/repo`, ctx.store.client);
    expect((await catalog.get('debris-yolov5')).classes).toEqual(config.classes);

    await ctx.store.put('models', 'repo/debris-yolov5/config.json', Buffer.from(JSON.stringify({ ...config, classes: ['x'] })), 'application/json');
    expect((await catalog.get('debris-yolov5')).classes).toEqual(['x']);
  });
});
