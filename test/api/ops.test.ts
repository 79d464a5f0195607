import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let repo: string;
let h: ApiHarness;
let inference: Server;

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'rw-models-'));
  const detector = { name: 'debris-yolov5', task: 'detect', format: 'yolov5', classes: ['bottle', 'bag'], thresholds: { score: 0.25, iou: 0.45 }, input: { name: 'images', width: 640, height: 640 }, evaluation: { mAP50: 0.71, dataset: 'riverkit-val' } };
  mkdirSync(join(repo, 'debris-yolov5', '1'), { recursive: true });
  mkdirSync(join(repo, 'debris-yolov5', '2'), { recursive: true });
  writeFileSync(join(repo, 'debris-yolov5', 'config.json'), JSON.stringify(detector));
  writeFileSync(join(repo, 'debris-yolov5', '1', 'model.onnx'), 'x');
  writeFileSync(join(repo, 'debris-yolov5', '2', 'model.onnx'), 'x');
  mkdirSync(join(repo, 'half-copied', '1'), { recursive: true }); // no config.json: not listed
  mkdirSync(join(repo, 'water-seg', '3'), { recursive: true });
  writeFileSync(join(repo, 'water-seg', 'config.json'), JSON.stringify({ name: 'water-seg', task: 'segment', format: 'segmentation', classes: ['water'], thresholds: { score: 0.5, iou: 0 } }));

  inference = createServer((s) => s.destroy());
  await new Promise<void>((r) => inference.listen(0, '127.0.0.1', r));
  const port = (inference.address() as { port: number }).port;
  h = await createApiHarness({ MODEL_REPOSITORY: repo, INFERENCE_TARGETS: `127.0.0.1:${port}` });
});
afterAll(async () => {
  await h?.close();
  await new Promise((r) => inference.close(r));
  rmSync(repo, { recursive: true, force: true });
});

describe('GET /v1/models', () => {
  it('lists models with their config, versions that have a model.onnx, and evaluation figures', async () => {
    const res = await h.app.inject({ url: '/v1/models', headers: h.auth() });
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items.map((m: { name: string }) => m.name)).toEqual(['debris-yolov5', 'water-seg']);
    expect(items[0]).toMatchObject({ task: 'detect', format: 'yolov5', versions: [1, 2], classes: ['bottle', 'bag'], evaluation: { mAP50: 0.71 } });
    expect(items[0].config.input).toMatchObject({ width: 640 });
    expect(items[1]).toMatchObject({ versions: [], evaluation: null });
  });

  it('an empty list when the repository folder does not exist', async () => {
    const other = await createApiHarness({ MODEL_REPOSITORY: join(repo, 'nope') });
    try {
      expect((await other.app.inject({ url: '/v1/models', headers: other.auth() })).json()).toEqual({ items: [] });
    } finally {
      await other.close();
    }
  });
});

describe('dashboard', () => {
  it('serves the built page and its hashed assets without a key; everything is same-origin and the key never goes in a URL', async () => {
    const page = await h.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).not.toMatch(/<script>(?!<\/script>)/);
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const [script] = [...page.body.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    const [style] = [...page.body.matchAll(/<link rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
    expect(script).toMatch(/^\/assets\/[\w-]+\.js$/);
    const js = await h.app.inject({ url: script! });
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toContain('/v1/events');
    // Live events are read with fetch and an Authorization header, not EventSource and ?access_token=.
    expect(js.body).not.toContain('access_token');
    expect(js.body).not.toContain('EventSource(');
    expect((await h.app.inject({ url: style! })).headers['content-type']).toMatch(/^text\/css/);
    expect((await h.app.inject({ url: '/assets/nope.js' })).statusCode).toBe(404);
  });
});

describe('probes', () => {
  it('/readyz is 200 when Redis, S3 and the inference target answer', async () => {
    const res = await h.app.inject({ url: '/readyz' });
    expect(res.json()).toEqual({ status: 'ready', checks: { redis: true, s3: true, inference: true } });
    expect(res.statusCode).toBe(200);
  });

  it('/readyz is 503 naming the dependency that does not answer; /healthz stays 200', async () => {
    const down = await createApiHarness({ INFERENCE_TARGETS: '127.0.0.1:1' });
    try {
      const res = await down.app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks).toEqual({ redis: true, s3: true, inference: false });
      expect((await down.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await down.close();
    }
  });

  it('/metrics speaks the Prometheus text format', async () => {
    await h.app.inject({ url: '/v1/cameras', headers: h.auth() });
    const res = await h.app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/riverwatch_api_requests_total\{method="GET",route="\/v1\/cameras",status="200"\} \d+/);
    // Node's own series, for the GC and event-loop view of each service.
    expect(res.body).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
    expect(res.body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('/docs serves the OpenAPI description of the /v1 routes', async () => {
    const spec = (await h.app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/cameras', '/v1/alerts', '/v1/cameras/{id}/history', '/v1/webhooks', '/v1/detect', '/v1/events', '/v1/models']));
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await h.app.inject({ url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });
});
