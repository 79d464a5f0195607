import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, QueueName, WEBHOOK_JOB_OPTIONS, type WebhookSubscription } from '@riverwatch/common';
import { startNotifier, WebhookNotifier } from '@riverwatch/api';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

let h: ApiHarness;
let receiver: WebhookReceiver;
let notifier: WebhookNotifier;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  h = await createApiHarness({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_TIMEOUT_MS: '300' });
  notifier = new WebhookNotifier({ redisUrl: h.t.redisUrl, keys: h.t.keys, api: h.t.config.api, webhooks: h.deps.webhooks, logger: createLogger('silent') });
  await notifier.waitUntilReady();
});
afterAll(async () => {
  await notifier?.close();
  await h?.close();
  await receiver?.stop();
});

type Created = Omit<WebhookSubscription, 'secrets'> & { secret: string };

async function subscribe(path: string, extra: Record<string, unknown> = {}): Promise<Created> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: h.auth(), payload: { url: receiver.url(path), events: ['*'], ...extra } });
  expect(res.statusCode, res.body).toBe(201);
  const sub = res.json() as Created;
  receiver.secrets.push(sub.secret);
  return sub;
}

const deliveries = async (id: string) => (await h.app.inject({ url: `/v1/webhooks/${id}/deliveries`, headers: h.auth() })).json().items as { outcome: string; status: number | null; error: string | null; retryInMs: number | null; messageId: string; attempt: number }[];

/** Queues a delivery directly, with fewer attempts than production, so the dead-letter path runs quickly. */
async function enqueue(sub: Created, attempts: number, eventType = 'alert.opened') {
  const messageId = `msg_test${Math.random().toString(36).slice(2, 10)}`;
  await h.deps.webhookQueue.add(
    'deliver',
    { subscriptionId: sub.id, messageId, eventType, payload: { id: 'evt_x', type: eventType, cameraId: 'cam_1', at: Date.now(), data: {} } },
    { ...WEBHOOK_JOB_OPTIONS, attempts, jobId: messageId },
  );
  return messageId;
}

describe('webhook subscriptions', () => {
  it('create returns the secret once; reads never show it', async () => {
    const sub = await subscribe('/ok-crud', { cameras: ['cam_1'], events: ['alert.opened'] });
    expect(sub.secret).toMatch(/^whsec_/);
    const got = await h.app.inject({ url: `/v1/webhooks/${sub.id}`, headers: h.auth() });
    expect(got.json()).toMatchObject({ id: sub.id, url: receiver.url('/ok-crud'), events: ['alert.opened'], cameras: ['cam_1'], enabled: true, activeSecrets: 1 });
    expect(got.body).not.toContain(sub.secret);
    expect((await h.app.inject({ url: '/v1/webhooks', headers: h.auth() })).body).not.toContain(sub.secret);
    const patched = await h.app.inject({ method: 'PATCH', url: `/v1/webhooks/${sub.id}`, headers: h.auth(), payload: { events: ['*'], enabled: false } });
    expect(patched.json()).toMatchObject({ events: ['*'], enabled: false, disabledReason: 'disabled by an operator' });
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${sub.id}`, headers: h.auth() })).statusCode).toBe(204);
    expect((await h.app.inject({ url: `/v1/webhooks/${sub.id}`, headers: h.auth() })).statusCode).toBe(404);
  });

  it.each([
    ['a non-http URL', { url: 'ftp://example.com/hook' }],
    ['a URL that is not one', { url: 'not a url at all' }],
    ['the metadata address', { url: 'http://169.254.169.254/latest/meta-data' }],
    ['loopback in decimal (127.0.0.2; only 127.0.0.1 is allowed here)', { url: 'http://2130706434:8080/hook' }],
    ['loopback in hex (127.0.0.2)', { url: 'http://0x7f000002/hook' }],
    ['IPv4-mapped IPv6 private address', { url: 'http://[::ffff:10.0.0.1]/hook' }],
    ['IPv6 unique-local', { url: 'http://[fd12::1]/hook' }],
    ['an unknown event type shape', { url: 'https://example.com/h', events: ['Alert Opened'] }],
    ['a malformed secret', { url: 'https://example.com/h', secret: 'hunter2' }],
    ['no events', { url: 'https://example.com/h', events: [] }],
  ])('creating with %s is a 400 and stores nothing', async (_why, payload) => {
    const before = await h.t.redis.scard(h.t.keys.webhookIndex());
    const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: h.auth(), payload });
    expect(res.statusCode, res.body).toBe(400);
    expect(await h.t.redis.scard(h.t.keys.webhookIndex())).toBe(before);
  });
});

describe('webhook delivery', () => {
  it('signs per Standard Webhooks and retries a 500 with the same webhook-id until the 200', async () => {
    receiver.on('/flaky', (n, _req, res) => res.writeHead(n === 1 ? 500 : 200).end());
    const sub = await subscribe('/flaky');
    const event = await h.deps.publisher.publish({ type: 'alert.opened', cameraId: 'cam_1', data: { alert: { id: 'alr_1' } } });
    await vi.waitFor(() => expect(receiver.at('/flaky')).toHaveLength(2), { timeout: 10_000, interval: 50 });
    const [first, second] = receiver.at('/flaky');
    expect(first!.id).toBe(second!.id);
    expect(first!.body).toBe(second!.body);
    expect(first!.verifiedBy.length).toBe(1);
    expect(second!.verifiedBy.length).toBe(1);
    expect(Math.abs(first!.timestamp - Date.now() / 1000)).toBeLessThan(300);
    expect(JSON.parse(first!.body)).toMatchObject({ type: 'alert.opened', data: { id: event.id, cameraId: 'cam_1' } });

    await vi.waitFor(async () => expect((await deliveries(sub.id)).map((d) => d.outcome)).toEqual(['delivered', 'retrying']), { timeout: 5000 });
    const [ok, failed] = await deliveries(sub.id);
    expect(failed).toMatchObject({ status: 500, attempt: 1, error: 'HTTP 500' });
    expect(failed!.retryInMs).toBeGreaterThan(0);
    expect(ok).toMatchObject({ status: 200, attempt: 2, messageId: first!.id });
  });

  it('honours Retry-After when it is longer than the schedule', async () => {
    receiver.on('/busy', (n, _req, res) => res.writeHead(n === 1 ? 503 : 200, n === 1 ? { 'retry-after': '1' } : {}).end());
    const sub = await subscribe('/busy');
    await h.deps.publisher.publish({ type: 'camera.offline', cameraId: 'cam_1', data: {} });
    await vi.waitFor(async () => expect((await deliveries(sub.id))[0]?.outcome).toBe('delivered'), { timeout: 10_000, interval: 100 });
    const retry = (await deliveries(sub.id)).find((d) => d.outcome === 'retrying')!;
    expect(retry.status).toBe(503);
    expect(retry.retryInMs).toBeGreaterThanOrEqual(1000);
  });

  it('a 410 disables the subscription, and later events are not queued for it', async () => {
    receiver.on('/gone', (_n, _req, res) => res.writeHead(410).end());
    const sub = await subscribe('/gone');
    await h.deps.publisher.publish({ type: 'alert.opened', cameraId: 'cam_1', data: {} });
    await vi.waitFor(async () => expect((await deliveries(sub.id))[0]?.outcome).toBe('disabled'), { timeout: 10_000, interval: 50 });
    const got = (await h.app.inject({ url: `/v1/webhooks/${sub.id}`, headers: h.auth() })).json();
    expect(got.enabled).toBe(false);
    expect(got.disabledReason).toMatch(/410/);
    const later = await h.deps.publisher.publish({ type: 'alert.opened', cameraId: 'cam_1', data: {} });
    // No job exists under the id the publisher would have used (completed jobs are kept, so a queued one would show).
    expect(await h.deps.webhookQueue.getJob(`msg_${later.id.slice(4)}_${sub.id.slice(-8)}`)).toBeUndefined();
    expect(receiver.at('/gone')).toHaveLength(1);
  });

  it('does not follow a 302: it retries, then dead-letters; redelivery keeps the webhook-id', async () => {
    receiver.on('/moved', (_n, _req, res) => res.writeHead(302, { location: receiver.url('/moved-target') }).end());
    const sub = await subscribe('/moved');
    const messageId = await enqueue(sub, 2);
    await vi.waitFor(async () => expect((await deliveries(sub.id))[0]?.outcome).toBe('failed'), { timeout: 10_000, interval: 50 });
    expect(receiver.at('/moved')).toHaveLength(2);
    expect(receiver.at('/moved-target')).toHaveLength(0);
    expect((await deliveries(sub.id))[0]).toMatchObject({ status: 302, attempt: 2 });

    const dead = (await h.app.inject({ url: '/v1/webhooks/dead-letters', headers: h.auth() })).json().items;
    expect(dead.find((d: { messageId: string }) => d.messageId === messageId)).toMatchObject({ subscriptionId: sub.id, attempts: 2, lastError: expect.stringMatching(/302/) });

    // The operator fixes the endpoint and redelivers.
    await h.app.inject({ method: 'PATCH', url: `/v1/webhooks/${sub.id}`, headers: h.auth(), payload: { url: receiver.url('/moved-target') } });
    const re = await h.app.inject({ method: 'POST', url: `/v1/webhooks/dead-letters/${messageId}/redeliver`, headers: h.auth() });
    expect(re.statusCode, re.body).toBe(202);
    await vi.waitFor(() => expect(receiver.at('/moved-target')).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(receiver.at('/moved-target')[0]!.id).toBe(messageId);
    const after = (await h.app.inject({ url: '/v1/webhooks/dead-letters', headers: h.auth() })).json().items;
    expect(after.some((d: { messageId: string }) => d.messageId === messageId)).toBe(false);
    expect((await h.app.inject({ method: 'POST', url: `/v1/webhooks/dead-letters/${messageId}/redeliver`, headers: h.auth() })).statusCode).toBe(404);
  });

  it('a receiver that hangs times out and is retried like a failure', async () => {
    receiver.hang('/hang');
    const sub = await subscribe('/hang');
    const messageId = await enqueue(sub, 1);
    await vi.waitFor(async () => expect((await deliveries(sub.id))[0]?.outcome).toBe('failed'), { timeout: 10_000, interval: 50 });
    expect((await deliveries(sub.id))[0]).toMatchObject({ status: null, error: expect.stringMatching(/no response within 300 ms/) });
    const dead = (await h.app.inject({ url: '/v1/webhooks/dead-letters', headers: h.auth() })).json().items;
    expect(dead.some((d: { messageId: string }) => d.messageId === messageId)).toBe(true);
  });

  it('during secret rotation every delivery carries both signatures', async () => {
    const sub = await subscribe('/rotating');
    const rotated = await h.app.inject({ method: 'POST', url: `/v1/webhooks/${sub.id}/rotate-secret`, headers: h.auth() });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().activeSecrets).toBe(2);
    const next = rotated.json().secret as string;
    receiver.secrets.push(next);
    const ping = await h.app.inject({ method: 'POST', url: `/v1/webhooks/${sub.id}/test`, headers: h.auth() });
    expect(ping.statusCode).toBe(202);
    await vi.waitFor(() => expect(receiver.at('/rotating')).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const hook = receiver.at('/rotating')[0]!;
    expect(hook.id).toBe(ping.json().messageId);
    expect(JSON.parse(hook.body).type).toBe('webhook.ping');
    expect(hook.signature.split(' ')).toHaveLength(2);
    expect(hook.verifiedBy.map((i) => receiver.secrets[i])).toEqual(expect.arrayContaining([sub.secret, next]));

    const ended = await h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${sub.id}/previous-secret`, headers: h.auth() });
    expect(ended.json().activeSecrets).toBe(1);
  });

  it('the webhook job options reach more than a day of retries', () => {
    expect(WEBHOOK_JOB_OPTIONS.attempts).toBeGreaterThanOrEqual(10);
    expect(WEBHOOK_JOB_OPTIONS.backoff.type).toBe('webhook');
    expect(QueueName.webhooks).toBe('webhooks');
  });
});

describe('address guard at connect time', () => {
  let strict: ApiHarness;
  let strictNotifier: WebhookNotifier;
  beforeAll(async () => {
    strict = await createApiHarness({ WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_TIMEOUT_MS: '300' });
    strictNotifier = new WebhookNotifier({ redisUrl: strict.t.redisUrl, keys: strict.t.keys, api: strict.t.config.api, webhooks: strict.deps.webhooks, logger: createLogger('silent') });
    await strictNotifier.waitUntilReady();
  });
  afterAll(async () => {
    await strictNotifier?.close();
    await strict?.close();
  });

  it('a host name that resolves to loopback is refused when it connects, and dead-lettered without retries', async () => {
    receiver.on('/never', (_n, _req, res) => res.writeHead(200).end());
    const res = await strict.app.inject({ method: 'POST', url: '/v1/webhooks', headers: strict.auth(), payload: { url: `http://localhost:${receiver.port}/never` } });
    expect(res.statusCode, res.body).toBe(201);
    const sub = res.json();
    await strict.deps.publisher.publish({ type: 'alert.opened', cameraId: 'cam_1', data: {} });
    const log = async () => (await strict.app.inject({ url: `/v1/webhooks/${sub.id}/deliveries`, headers: strict.auth() })).json().items;
    await vi.waitFor(async () => expect((await log())[0]?.outcome).toBe('refused'), { timeout: 10_000, interval: 50 });
    expect((await log())[0].error).toMatch(/resolves to .*(loopback)/);
    expect(receiver.at('/never')).toHaveLength(0);
    const dead = (await strict.app.inject({ url: '/v1/webhooks/dead-letters', headers: strict.auth() })).json().items;
    expect(dead).toHaveLength(1);
    expect((await log()).length).toBe(1);
  });
});

describe('the notifier on its own (startNotifier)', () => {
  it('delivers a test ping without the HTTP API in the same process', async () => {
    const alone = await createApiHarness({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_NOTIFIER: 'false' });
    const svc = await startNotifier({ config: alone.t.config, logger: createLogger('silent'), redisUrl: alone.t.redisUrl, s3Endpoint: alone.t.s3Endpoint });
    try {
      const created = await alone.app.inject({ method: 'POST', url: '/v1/webhooks', headers: alone.auth(), payload: { url: receiver.url('/alone') } });
      receiver.secrets.push(created.json().secret);
      const ping = await alone.app.inject({ method: 'POST', url: `/v1/webhooks/${created.json().id}/test`, headers: alone.auth() });
      await vi.waitFor(() => expect(receiver.at('/alone')).toHaveLength(1), { timeout: 10_000, interval: 50 });
      expect(receiver.at('/alone')[0]).toMatchObject({ id: ping.json().messageId, verifiedBy: [receiver.secrets.length - 1] });
      expect(svc.name).toBe('notifier');
    } finally {
      await svc.stop();
      await alone.close();
    }
  });
});
