import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../api/support/api-harness.ts';
import { listRoutes, type ApiRoute } from './support/api-routes.ts';
import { assertMemoryBounded, fuzz, fuzzSurface, memoryAfterGc, replayRegressions } from './support/fuzz.ts';

/**
 * Random JSON, multipart, query strings, path parameters and headers at every
 * route of the real API app (real Redis and S3, as test/api does). Routes are read
 * from the app itself, so a new route is fuzzed without a change here. Volume goes
 * through app.inject (in-process HTTP); a sample of the same requests goes through a
 * real socket to the listening app. Every answer is below 500, and every 4xx is JSON
 * with a message.
 */

/** Routes whose GET never ends (SSE): fuzzing them would hold a stream per input. test/api/events.test.ts covers their errors. */
const STREAMING = new Set(['GET /v1/events']);

let h: ApiHarness;
let routes: ApiRoute[];
let cameraId: string;
let viewerKey: string;

beforeAll(async () => {
  // The rate limit would turn most inputs into 429s before they reach a handler.
  h = await createApiHarness({ API_RATE_LIMIT_PER_MINUTE: '1000000' });
  routes = listRoutes(h.app.printRoutes({ commonPrefix: false })).filter((r) => !STREAMING.has(`${r.method} ${r.path}`));
  const cam = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name: 'fuzz target', sourceUrl: 'rtsp://cam/river' } });
  cameraId = cam.json().id as string;
  viewerKey = await h.createKey('viewer');
});
afterAll(async () => {
  await h?.close();
});

interface ApiCase {
  route: number;
  params: string[];
  query: [string, string][];
  auth: 'admin' | 'viewer' | 'none' | 'bogus';
  body:
    | { kind: 'none' }
    | { kind: 'json'; value: unknown }
    | { kind: 'text'; contentType: string; text: string }
    | { kind: 'multipart'; boundary: string; parts: { name: string; filename?: string; contentType?: string; data: Uint8Array }[]; truncate?: number };
}

/** Strings a handler might choke on: ids of the wrong shape, traversal, encodings, very long. */
const nasty = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', ' ', '..', '../..', '%00', '%ff', 'cam_', 'alr_x', '__proto__', 'constructor', 'null', '-1', '1e400', '0x10', '[]', '{}'),
  fc.string({ unit: 'binary', maxLength: 12 }),
  // Long, but the whole request line stays inside Node's 16 KiB header limit (past it Node itself answers 431 and hangs up).
  fc.nat({ max: 3000 }).map((n) => 'a'.repeat(n)),
);

const apiCase = (): fc.Arbitrary<ApiCase> =>
  fc.record({
    route: fc.nat({ max: routes.length - 1 }),
    params: fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant('$camera') }, { weight: 4, arbitrary: nasty }), { minLength: 3, maxLength: 3 }),
    query: fc.array(
      fc.tuple(fc.oneof(fc.constantFrom('from', 'to', 'limit', 'cursor', 'state', 'cameraId', 'model', 'bucket', 'token', 'type'), fc.string({ maxLength: 6 })), nasty),
      { maxLength: 4 },
    ),
    auth: fc.constantFrom('admin', 'admin', 'admin', 'viewer', 'none', 'bogus'),
    body: fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('json' as const), value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), cameraLike) }),
      fc.record({
        kind: fc.constant('text' as const),
        contentType: fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'image/jpeg', 'image/png', 'application/x-www-form-urlencoded', 'application/octet-stream', ''),
        text: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"name":', '[1,2', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', 'null', '1e999')),
      }),
      fc.record(
        {
          kind: fc.constant('multipart' as const),
          boundary: fc.constantFrom('fuzzboundary', 'x', '----WebKitFormBoundary7MA4YWxkTrZu0gW'),
          parts: fc.array(
            fc.record(
              { name: fc.constantFrom('file', 'image', 'model', 'x'), filename: fc.constantFrom('a.jpg', 'b.png', '../../etc/passwd', ''), contentType: fc.constantFrom('image/jpeg', 'image/png', 'text/plain'), data: fc.uint8Array({ maxLength: 300 }) },
              { requiredKeys: ['name', 'data'] },
            ),
            { maxLength: 8 },
          ),
          truncate: fc.option(fc.nat({ max: 400 }), { nil: undefined }),
        },
        { requiredKeys: ['kind', 'boundary', 'parts'] },
      ),
    ),
  });

/** A camera or webhook body with fields of the right names and wrong values, so validation goes deep. */
const cameraLike = fc.record(
  {
    name: nasty,
    sourceUrl: fc.oneof(fc.constantFrom('rtsp://cam/x', 'http://127.0.0.1:1/x.mjpg', 'file:///etc/passwd', 'javascript:alert(1)', 'http://169.254.169.254/'), nasty),
    url: fc.oneof(fc.constantFrom('https://example.com/hook', 'http://127.0.0.1/hook', 'http://[::1]/'), nasty),
    fps: fc.oneof(fc.double(), fc.integer(), nasty),
    maxWidth: fc.oneof(fc.integer(), fc.constant(null)),
    zones: fc.jsonValue({ maxDepth: 3 }),
    rules: fc.jsonValue({ maxDepth: 3 }),
    tiling: fc.jsonValue({ maxDepth: 2 }),
    role: fc.constantFrom('viewer', 'operator', 'admin', 'root'),
    cameras: fc.array(nasty, { maxLength: 3 }),
    events: fc.array(nasty, { maxLength: 3 }),
    note: nasty,
  },
  { requiredKeys: [] },
);

function multipartBody(b: Extract<ApiCase['body'], { kind: 'multipart' }>): Buffer {
  const chunks: Buffer[] = [];
  for (const p of b.parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${b.boundary}\r\nContent-Disposition: ${disposition}\r\n${p.contentType ? `Content-Type: ${p.contentType}\r\n` : ''}\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${b.boundary}--\r\n`));
  const all = Buffer.concat(chunks);
  return b.truncate === undefined ? all : all.subarray(0, b.truncate);
}

/** The request a case stands for: method, URL, headers and body bytes. */
function toRequest(c: ApiCase): { method: string; url: string; headers: Record<string, string>; body?: Buffer } {
  const route = routes[c.route % routes.length]!;
  let i = 0;
  const path = route.path
    .replace(/:[A-Za-z]+/g, () => {
      const p = c.params[i++ % c.params.length]!;
      return encodeURIComponent(p === '$camera' ? cameraId : p);
    })
    .replace('*', () => encodeURIComponent(c.params[2]!));
  const qs = c.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const headers: Record<string, string> = {};
  if (c.auth === 'admin') headers.authorization = `Bearer ${h.adminKey}`;
  if (c.auth === 'viewer') headers.authorization = `Bearer ${viewerKey}`;
  if (c.auth === 'bogus') headers.authorization = 'Bearer rw_fuzz_not_a_key';
  let body: Buffer | undefined;
  const b = c.body;
  if (b.kind === 'json') {
    headers['content-type'] = 'application/json';
    body = Buffer.from(JSON.stringify(b.value) ?? 'null');
  } else if (b.kind === 'text') {
    if (b.contentType) headers['content-type'] = b.contentType;
    body = Buffer.from(b.text);
  } else if (b.kind === 'multipart') {
    headers['content-type'] = `multipart/form-data; boundary=${b.boundary}`;
    body = multipartBody(b);
  }
  // GET and HEAD carry no body on a real socket.
  if (route.method === 'GET') body = undefined;
  return { method: route.method, url: qs ? `${path}?${qs}` : path, headers, body };
}

/** The readiness probe answers 503 by design while a dependency is down (here the inference server, which the API harness does not start). */
const MAY_BE_UNAVAILABLE = new Set(['/readyz']);

/** Below 500; a 4xx is JSON with a message saying what is wrong. */
function checkAnswer(what: string, status: number, contentType: string | undefined, text: string): void {
  if (status === 503 && MAY_BE_UNAVAILABLE.has(what.split(' ')[1]!.split('?')[0]!)) return;
  if (status >= 500) throw new Error(`${what} answered ${status}: ${text.slice(0, 300)}`);
  if (status >= 400) {
    if (!/application\/json/.test(contentType ?? '')) throw new Error(`${what} answered ${status} with ${contentType}: ${text.slice(0, 200)}`);
    const json = JSON.parse(text) as { message?: unknown };
    if (typeof json.message !== 'string' || !json.message) throw new Error(`${what} answered ${status} without a message: ${text.slice(0, 200)}`);
  }
}

async function checkInject(c: ApiCase): Promise<void> {
  const req = toRequest(c);
  const res = await h.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.body });
  checkAnswer(`${req.method} ${req.url.slice(0, 120)}`, res.statusCode, res.headers['content-type'] as string | undefined, res.body);
}

async function expectServing(): Promise<void> {
  expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  // The fuzzer may have deleted the seeded camera: a new one is written and read back.
  const made = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name: 'after fuzzing', sourceUrl: 'rtsp://cam/after' } });
  expect(made.statusCode).toBe(201);
  const read = await h.app.inject({ url: `/v1/cameras/${made.json().id as string}`, headers: h.auth() });
  expect(read.json()).toMatchObject({ name: 'after fuzzing' });
}

describe('fuzz: every API route', () => {
  it('finds the routes from the app (a new route is fuzzed without touching this test)', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    for (const r of ['POST /v1/cameras', 'PATCH /v1/cameras/:id', 'POST /v1/detect', 'POST /v1/alerts/:id/ack', 'POST /v1/webhooks', 'DELETE /v1/api-keys/:id', 'GET /healthz']) {
      expect(names).toContain(r);
    }
    console.log(`[fuzz] api-routes: ${routes.length} routes (${STREAMING.size} streaming route left out: ${[...STREAMING].join(', ')})`);
  });

  it('replays saved regression cases', async () => {
    await replayRegressions<ApiCase>('api-routes', checkInject);
  });

  it('answers random JSON, text and multipart with a 4xx JSON error, never a 5xx (in-process)', async () => {
    const surface = fuzzSurface('api-routes', 10_000);
    const before = memoryAfterGc();
    await fuzz(surface, apiCase(), checkInject, { concurrency: 10 });
    await expectServing();
    assertMemoryBounded(surface.name, before);
  });

  it('answers the same kind of requests over a real socket', async () => {
    const surface = fuzzSurface('api-routes-socket', 500);
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    await fuzz(
      surface,
      apiCase(),
      async (c) => {
        const req = toRequest(c);
        const res = await fetch(`${base}${req.url}`, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' }).catch((err: Error) => {
          throw new Error(`${req.method} ${req.url.slice(0, 120)} (socket): ${err.message} (${String((err.cause as Error | undefined)?.message ?? err.cause)})`);
        });
        checkAnswer(`${req.method} ${req.url.slice(0, 120)} (socket)`, res.status, res.headers.get('content-type') ?? undefined, await res.text());
      },
      { concurrency: 10 },
    );
    await expectServing();
  });
});
