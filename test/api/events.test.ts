import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createLogger, metricsRegistry } from '@riverwatch/common';
import { buildApp, createApiDeps, start } from '@riverwatch/api';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';
import { SseClient } from './support/sse-client.ts';

let h: ApiHarness;
let base: string;
const clients: SseClient[] = [];

beforeAll(async () => {
  h = await createApiHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of clients) c.close();
  await h?.close();
});

async function connect(path: string, headers: Record<string, string> = h.auth()): Promise<SseClient> {
  const c = await SseClient.connect(`${base}${path}`, headers);
  clients.push(c);
  return c;
}

const publish = (type: 'alert.opened' | 'camera.offline' | 'webhook.ping', cameraId: string | null) =>
  h.deps.publisher.publish({ type, cameraId, data: { note: `${type} on ${cameraId}` } });

describe('GET /v1/events (SSE over a real server)', () => {
  it('streams live events with the stream id as SSE id and the type as event name', async () => {
    const c = await connect('/v1/events');
    expect(c.response.statusCode).toBe(200);
    expect(c.response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(c.response.headers['x-content-type-options']).toBe('nosniff');
    const a = await publish('alert.opened', 'cam_a');
    const b = await publish('camera.offline', 'cam_b');
    await vi.waitFor(() => expect(c.messages).toHaveLength(2), { timeout: 5000, interval: 20 });
    expect(c.messages.map((m) => m.event)).toEqual(['alert.opened', 'camera.offline']);
    expect(c.messages.map((m) => JSON.parse(m.data).id)).toEqual([a.id, b.id]);
    for (const m of c.messages) expect(m.id).toMatch(/^\d+-\d+$/);
    c.close();
  });

  it('filters by camera and by type', async () => {
    const byCamera = await connect('/v1/events?camera=cam_f');
    const byType = await connect('/v1/events?types=camera.offline');
    await publish('alert.opened', 'cam_other');
    await publish('alert.opened', 'cam_f');
    await publish('camera.offline', 'cam_other');
    await vi.waitFor(() => expect(byCamera.messages).toHaveLength(1), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(byType.messages).toHaveLength(1), { timeout: 5000, interval: 20 });
    expect(JSON.parse(byCamera.messages[0]!.data).cameraId).toBe('cam_f');
    expect(byType.messages[0]!.event).toBe('camera.offline');
    // The event after the filtered ones proves nothing else was on its way.
    await publish('alert.opened', 'cam_f');
    await vi.waitFor(() => expect(byCamera.messages).toHaveLength(2), { timeout: 5000, interval: 20 });
    byCamera.close();
    byType.close();
  });

  it('resumes after Last-Event-ID with exactly the events the client missed', async () => {
    const first = await connect('/v1/events?camera=cam_r');
    await publish('alert.opened', 'cam_r');
    await vi.waitFor(() => expect(first.messages).toHaveLength(1), { timeout: 5000, interval: 20 });
    first.close();
    const missed1 = await publish('alert.opened', 'cam_r');
    const missed2 = await publish('camera.offline', 'cam_r');
    const resumed = await connect('/v1/events?camera=cam_r', { ...h.auth(), 'last-event-id': first.messages[0]!.id! });
    await vi.waitFor(() => expect(resumed.messages).toHaveLength(2), { timeout: 5000, interval: 20 });
    expect(resumed.messages.map((m) => JSON.parse(m.data).id)).toEqual([missed1.id, missed2.id]);
    resumed.close();
  });

  it('works across API replicas: an event published through one replica reaches a client of another', async () => {
    const deps = await createApiDeps({ config: h.t.config, logger: createLogger('silent'), redisUrl: h.t.redisUrl, s3Endpoint: h.t.s3Endpoint });
    const replica = await buildApp(deps);
    await replica.listen({ host: '127.0.0.1', port: 0 });
    try {
      const c = await SseClient.connect(`http://127.0.0.1:${(replica.server.address() as AddressInfo).port}/v1/events?camera=cam_x`, h.auth());
      clients.push(c);
      // Published by "replica A" (the harness app's publisher), read by a client of replica B.
      const e = await publish('alert.opened', 'cam_x');
      await vi.waitFor(() => expect(c.messages).toHaveLength(1), { timeout: 5000, interval: 20 });
      expect(JSON.parse(c.messages[0]!.data).id).toBe(e.id);
      c.close();
    } finally {
      await replica.close();
      await deps.close();
    }
  });

  it('a camera-limited key (token in the query, as EventSource sends it) sees only its cameras', async () => {
    const key = await h.createKey('viewer', ['cam_mine']);
    const c = await connect(`/v1/events?access_token=${encodeURIComponent(key)}`, {});
    expect(c.response.statusCode).toBe(200);
    await publish('alert.opened', 'cam_theirs');
    await publish('webhook.ping', null);
    const mine = await publish('alert.opened', 'cam_mine');
    await vi.waitFor(() => expect(c.messages).toHaveLength(1), { timeout: 5000, interval: 20 });
    expect(JSON.parse(c.messages[0]!.data).id).toBe(mine.id);
    c.close();
    const other = await SseClient.connect(`${base}/v1/events?camera=cam_theirs&access_token=${encodeURIComponent(key)}`);
    expect(other.response.statusCode).toBe(404);
    await other.text();
  });

  it('refuses without a key (401), with a bad Last-Event-ID (400), and takes no token in the query on other routes', async () => {
    const none = await SseClient.connect(`${base}/v1/events`);
    expect(none.response.statusCode).toBe(401);
    await none.text();
    const bad = await SseClient.connect(`${base}/v1/events`, { ...h.auth(), 'last-event-id': 'yesterday' });
    expect(bad.response.statusCode).toBe(400);
    expect(JSON.parse(await bad.text()).message).toMatch(/Last-Event-ID/);
    const res = await fetch(`${base}/v1/cameras?access_token=${encodeURIComponent(h.adminKey)}`);
    expect(res.status).toBe(401);
  });

  it('releases the stream (and its Redis reader) when the client goes away', async () => {
    const gauge = async () => (await metricsRegistry.getSingleMetric('riverwatch_api_sse_clients')!.get()).values[0]!.value;
    const c = await connect('/v1/events');
    await vi.waitFor(async () => expect(await gauge()).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 20 });
    const before = await gauge();
    c.close();
    await vi.waitFor(async () => expect(await gauge()).toBe(before - 1), { timeout: 5000, interval: 20 });
  });
});

describe('stream limit', () => {
  it('turns away streams past the per-process limit with a 503 and retry-after, and accepts again once one closes', async () => {
    const deps = await createApiDeps({ config: h.t.config, logger: createLogger('silent'), redisUrl: h.t.redisUrl, s3Endpoint: h.t.s3Endpoint });
    const small = await buildApp(deps, { maxEventStreams: 1 });
    await small.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(small.server.address() as AddressInfo).port}/v1/events`;
    try {
      const first = await SseClient.connect(url, h.auth());
      expect(first.response.statusCode).toBe(200);
      const second = await SseClient.connect(url, h.auth());
      expect(second.response.statusCode).toBe(503);
      expect(second.response.headers['retry-after']).toBe('5');
      expect(JSON.parse(await second.text()).message).toMatch(/too many live event streams/);
      first.close();
      await vi.waitFor(async () => {
        const again = await SseClient.connect(url, h.auth());
        again.close();
        expect(again.response.statusCode).toBe(200);
      }, { timeout: 5000, interval: 50 });
    } finally {
      await small.close();
      await deps.close();
    }
  });
});

describe('the api service', () => {
  it('start() listens on a free port, serves the API and the dashboard, and stop() closes open SSE streams', async () => {
    const t = await createApiHarness({ WEBHOOK_NOTIFIER: 'true' });
    await t.app.close();
    await t.deps.close();
    const svc = await start({ config: t.t.config, logger: createLogger('silent'), redisUrl: t.t.redisUrl, s3Endpoint: t.t.s3Endpoint });
    try {
      expect(svc.name).toBe('api');
      expect(svc.port).toBeGreaterThan(0);
      const url = `http://127.0.0.1:${svc.port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${url}/`)).text()).toContain('riverwatch');
      expect((await fetch(`${url}/v1/cameras`, { headers: t.auth() })).status).toBe(200);
      const c = await SseClient.connect(`${url}/v1/events`, t.auth());
      const ended = new Promise<void>((r) => c.response.on('close', () => r()));
      await svc.stop();
      await ended;
    } finally {
      await t.t.cleanup();
    }
  });
});
