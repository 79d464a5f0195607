import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@riverwatch/common';
import { repoRoot } from '../support/cli.ts';

/**
 * infra/healthcheck.mjs is the images' HEALTHCHECK. It cannot import the config (each check is
 * a bare `node` start), so this holds its ports to what the config reads, and runs it against
 * a real HTTP server.
 */
const script = join(repoRoot, 'infra/healthcheck.mjs');
const run = promisify(execFile);
const check = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
const ports = (stdout: string) => (JSON.parse(stdout) as string[]).map((u) => Number(new URL(u).port));

describe('infra/healthcheck.mjs', () => {
  let server: Server;
  let status = 200;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? status : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('asks the ports the config would listen on, by default and when each variable is set', async () => {
    const defaults = loadConfig({});
    expect(ports((await check({}, '--print')).stdout)).toEqual([defaults.api.port, defaults.worker.metricsPort, defaults.ingest.metricsPort, defaults.inference.metricsPort]);
    const env = { PORT: '18080', WORKER_METRICS_PORT: '19464', INGEST_METRICS_PORT: '19465', INFERENCE_METRICS_PORT: '18002' };
    const set = loadConfig(env);
    expect(ports((await check(env, '--print')).stdout)).toEqual([set.api.port, set.worker.metricsPort, set.ingest.metricsPort, set.inference.metricsPort]);
    expect(ports((await check({ ...env, RIVERWATCH_SERVICES: 'inference' }, '--print')).stdout)).toEqual([18002]);
  });

  it('exits 0 when the services answer 200, 1 when one answers an error or nothing listens', async () => {
    status = 200;
    expect((await check({ RIVERWATCH_SERVICES: 'worker', WORKER_METRICS_PORT: String(port) })).code).toBe(0);
    status = 503;
    const failing = await check({ RIVERWATCH_SERVICES: 'worker', WORKER_METRICS_PORT: String(port) });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(`unhealthy: http://127.0.0.1:${port}/healthz`);
    status = 200;
    // Nothing listens on port 1.
    expect((await check({ RIVERWATCH_SERVICES: 'worker,ingest', WORKER_METRICS_PORT: String(port), INGEST_METRICS_PORT: '1' })).code).toBe(1);
  });
});
