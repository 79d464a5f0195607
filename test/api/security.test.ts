import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@riverwatch/common';
import { buildApp, createApiDeps, hashApiKey, newApiKey } from '@riverwatch/api';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';
import { seedAlert } from './support/seed.ts';

let h: ApiHarness;
let camA: string;
let camB: string;
beforeAll(async () => {
  h = await createApiHarness();
  const make = async (name: string) =>
    (await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name, sourceUrl: 'rtsp://cam/x' } })).json().id as string;
  camA = await make('A');
  camB = await make('B');
});
afterAll(async () => {
  await h?.close();
});

describe('authentication and roles', () => {
  it('no key is a 401 that says how to authenticate; an unknown key is a 401', async () => {
    const none = await h.app.inject({ url: '/v1/cameras' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json().message).toMatch(/Authorization: Bearer/);
    expect((await h.app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer rw_not_a_key' } })).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/v1/cameras', headers: { authorization: `Basic ${h.adminKey}` } })).statusCode).toBe(401);
    // An unknown route under /v1 does not reveal itself to callers without a key.
    expect((await h.app.inject({ url: '/v1/nothing-here' })).statusCode).toBe(401);
  });

  it('viewer reads but cannot change; operator changes cameras and alerts but cannot manage webhooks or keys', async () => {
    const viewer = await h.createKey('viewer');
    const operator = await h.createKey('operator');
    expect((await h.app.inject({ url: '/v1/cameras', headers: h.auth(viewer) })).statusCode).toBe(200);
    const denied = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(viewer), payload: { name: 'x', sourceUrl: 'rtsp://c/1' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toMatch(/operator/);
    expect((await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(operator), payload: { name: 'x', sourceUrl: 'rtsp://c/1' } })).statusCode).toBe(201);
    expect((await h.app.inject({ url: '/v1/webhooks', headers: h.auth(operator) })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/v1/api-keys', headers: h.auth(operator) })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(viewer), 'content-type': 'image/png' }, payload: Buffer.alloc(10) })).statusCode).toBe(403);
  });

  it('stores only the hash of a key, shows the key once, and a revoked key stops working', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/api-keys', headers: h.auth(), payload: { name: 'ops laptop', role: 'viewer' } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json();
    expect(key).toMatch(/^rw_/);
    const listed = await h.app.inject({ url: '/v1/api-keys', headers: h.auth() });
    expect(listed.body).not.toContain(key);
    expect(listed.json().items.some((k: { id: string }) => k.id === id)).toBe(true);
    const stored = await h.t.redis.keys(`${h.t.keyPrefix}:apikey:*`);
    for (const k of stored) expect(await h.t.redis.get(k)).not.toContain(key);

    expect((await h.app.inject({ url: '/v1/cameras', headers: h.auth(key) })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: h.auth() })).statusCode).toBe(204);
    expect((await h.app.inject({ url: '/v1/cameras', headers: h.auth(key) })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: h.auth() })).statusCode).toBe(404);
  });

  it.each([
    ['an unknown role', { name: 'k', role: 'root' }],
    ['an admin key limited to cameras', { name: 'k', role: 'admin', cameras: ['cam_1'] }],
    ['no name', { role: 'viewer' }],
  ])('creating a key with %s is a 400', async (_why, payload) => {
    expect((await h.app.inject({ method: 'POST', url: '/v1/api-keys', headers: h.auth(), payload })).statusCode).toBe(400);
  });
});

describe('camera-limited keys', () => {
  it('see only their cameras; other cameras and their alerts are 404, not 403', async () => {
    const key = await h.createKey('operator', [camA]);
    const list = await h.app.inject({ url: '/v1/cameras', headers: h.auth(key) });
    expect(list.json().items.map((c: { id: string }) => c.id)).toEqual([camA]);
    expect((await h.app.inject({ url: `/v1/cameras/${camA}`, headers: h.auth(key) })).statusCode).toBe(200);
    for (const url of [`/v1/cameras/${camB}`, `/v1/cameras/${camB}/status`, `/v1/cameras/${camB}/history`, `/v1/alerts?camera=${camB}`]) {
      expect((await h.app.inject({ url, headers: h.auth(key) })).statusCode, url).toBe(404);
    }
    expect((await h.app.inject({ method: 'PATCH', url: `/v1/cameras/${camB}`, headers: h.auth(key), payload: { fps: 2 } })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/cameras/${camB}`, headers: h.auth(key) })).statusCode).toBe(404);

    const alertA = await seedAlert(h.t, { cameraId: camA });
    const alertB = await seedAlert(h.t, { cameraId: camB });
    const alerts = await h.app.inject({ url: '/v1/alerts', headers: h.auth(key) });
    const ids = alerts.json().items.map((a: { id: string }) => a.id);
    expect(ids).toContain(alertA.id);
    expect(ids).not.toContain(alertB.id);
    expect((await h.app.inject({ url: `/v1/alerts/${alertB.id}`, headers: h.auth(key) })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'POST', url: `/v1/alerts/${alertB.id}/ack`, headers: h.auth(key) })).statusCode).toBe(404);
    expect(JSON.parse((await h.t.redis.get(h.t.keys.alert(alertB.id)))!).status).toBe('open');
    expect((await h.app.inject({ method: 'POST', url: `/v1/alerts/${alertA.id}/ack`, headers: h.auth(key) })).statusCode).toBe(200);
  });

  it('cannot create cameras', async () => {
    const key = await h.createKey('operator', [camA]);
    expect((await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(key), payload: { name: 'x', sourceUrl: 'rtsp://c/1' } })).statusCode).toBe(403);
  });
});

describe('hardening', () => {
  it('sets security headers on API responses and the dashboard, and no-store on /v1', async () => {
    const api = await h.app.inject({ url: '/v1/cameras', headers: h.auth() });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['x-frame-options']).toBe('DENY');
    expect(api.headers['referrer-policy']).toBe('no-referrer');
    expect(api.headers['content-security-policy']).toContain("default-src 'self'");
    expect(api.headers['cache-control']).toBe('no-store');
    const page = await h.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    // Error responses carry them too.
    expect((await h.app.inject({ url: '/v1/cameras' })).headers['x-content-type-options']).toBe('nosniff');
  });

  it('a JSON body over the limit is a 413 and stores nothing', async () => {
    const before = await h.t.redis.scard(h.t.keys.cameraIndex());
    const res = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name: 'x', sourceUrl: `rtsp://c/${'a'.repeat(300_000)}` } });
    expect(res.statusCode).toBe(413);
    expect(await h.t.redis.scard(h.t.keys.cameraIndex())).toBe(before);
  });

  it.each([
    ['__proto__', '{"name":"x","sourceUrl":"rtsp://c/1","__proto__":{"isAdmin":true}}'],
    ['constructor.prototype', '{"name":"x","sourceUrl":"rtsp://c/1","constructor":{"prototype":{"isAdmin":true}}}'],
  ])('a %s payload is a 400 and stores nothing', async (_why, body) => {
    const before = await h.t.redis.scard(h.t.keys.cameraIndex());
    const res = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: { ...h.auth(), 'content-type': 'application/json' }, payload: body });
    expect(res.statusCode).toBe(400);
    expect(await h.t.redis.scard(h.t.keys.cameraIndex())).toBe(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('hides 5xx details: a corrupt stored record gives a generic message with the request id', async () => {
    await h.t.redis.set(h.t.keys.camera('cam_corrupt'), '{not json at all');
    const res = await h.app.inject({ url: '/v1/cameras/cam_corrupt', headers: h.auth() });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toMatch(/^internal error \(request .+\)$/);
    expect(res.body).not.toMatch(/JSON|position|stack|not json/i);
    await h.t.redis.del(h.t.keys.camera('cam_corrupt'));
  });

  it('health, readiness, metrics and docs need no key', async () => {
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ url: '/metrics' })).body).toContain('riverwatch_api_requests_total');
    expect((await h.app.inject({ url: '/docs/json' })).json().openapi).toMatch(/^3\./);
  });
});

describe('rate limits', () => {
  let limited: ApiHarness;
  beforeAll(async () => {
    limited = await createApiHarness({ API_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('the request over the limit is a 429 with retry-after; other keys and unauthenticated callers count separately', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.app.inject({ url: '/v1/cameras', headers: limited.auth() })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const over = await limited.app.inject({ url: '/v1/cameras', headers: limited.auth() });
    expect(over.statusCode).toBe(429);
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers['x-ratelimit-remaining']).toBe('0');

    // The counter lives in Redis: a second app instance (another replica) sees the same count.
    const replicaDeps = await createApiDeps({ config: limited.t.config, logger: createLogger('silent'), redisUrl: limited.t.redisUrl, s3Endpoint: limited.t.s3Endpoint });
    const replica = await buildApp(replicaDeps);
    try {
      expect((await replica.inject({ url: '/v1/cameras', headers: limited.auth() })).statusCode).toBe(429);
    } finally {
      await replica.close();
      await replicaDeps.close();
    }

    // Another key has its own window (stored directly: the admin is over its limit).
    const otherKey = newApiKey();
    await limited.deps.apiKeys.create({ id: 'key_other', name: 'other', role: 'viewer', cameras: [], createdAt: Date.now() }, hashApiKey(otherKey));
    expect((await limited.app.inject({ url: '/v1/cameras', headers: limited.auth(otherKey) })).statusCode).toBe(200);
    // Callers without a key are limited by address, separately, and still told to authenticate.
    expect((await limited.app.inject({ url: '/v1/cameras' })).statusCode).toBe(401);
  });

  // inject() connects from 127.0.0.1, playing the ingress; X-Forwarded-For names the real caller.
  const keyless = (app: ApiHarness['app'], caller: string) =>
    app.inject({ url: '/v1/cameras', headers: { 'x-forwarded-for': caller } }).then((r) => r.statusCode);

  it.each(['127.0.0.1', '1'])('behind a trusted proxy (API_TRUST_PROXY=%s), keyless callers are limited per forwarded address', async (trust) => {
    const proxied = await createApiHarness({ API_RATE_LIMIT_PER_MINUTE: '2', API_TRUST_PROXY: trust });
    try {
      expect([await keyless(proxied.app, '203.0.113.7'), await keyless(proxied.app, '203.0.113.7'), await keyless(proxied.app, '203.0.113.7')]).toEqual([401, 401, 429]);
      // Another caller through the same proxy still has its own window.
      expect(await keyless(proxied.app, '198.51.100.9')).toBe(401);
    } finally {
      await proxied.close();
    }
  });

  it('without API_TRUST_PROXY a forged X-Forwarded-For buys no fresh window', async () => {
    const direct = await createApiHarness({ API_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      expect([await keyless(direct.app, '203.0.113.7'), await keyless(direct.app, '198.51.100.1'), await keyless(direct.app, '192.0.2.44')]).toEqual([401, 401, 429]);
    } finally {
      await direct.close();
    }
  });
});
