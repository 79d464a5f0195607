import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliCommand } from '../main.ts';
import { runStack } from '../stack.ts';
import { waitForSignal } from '../signals.ts';

const clip = fileURLToPath(new URL('../../../../assets/clips/river-demo.mp4', import.meta.url));

const usage = `usage: riverwatch demo

Starts every service in this process (a local redis-server and S3 server under
./data unless REDIS_URL / S3_ENDPOINT are set), registers a demo camera that
streams the bundled river clip, and prints the API URL and an admin key.
Ctrl-C stops everything.`;

async function api(base: string, key: string, path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export const command: CliCommand = {
  name: 'demo',
  summary: 'run everything with a demo camera streaming a bundled river clip',
  usage,
  async run() {
    if (!existsSync(clip)) throw new Error(`demo clip missing at ${clip}`);
    const stack = await runStack({ services: ['inference', 'worker', 'ingest', 'api'] });
    const apiService = stack.services.find((s) => s.name === 'api')! as { port: number };
    const base = `http://127.0.0.1:${apiService.port}`;
    const key = stack.adminKey!;
    try {
      const existing = (await api(base, key, '/v1/cameras')) as { items?: { id: string; name: string }[] } | { id: string; name: string }[];
      const cameras = Array.isArray(existing) ? existing : (existing.items ?? []);
      let camera = cameras.find((c) => c.name === 'Demo river');
      camera ??= (await api(base, key, '/v1/cameras', {
        method: 'POST',
        body: JSON.stringify({ name: 'Demo river', sourceUrl: `file://${clip}`, fps: 2, maxWidth: 640 }),
      })) as { id: string; name: string };
      console.log(
        `\nriverwatch demo is running\n` +
          `  API:         http://localhost:${apiService.port}/v1   (OpenAPI docs: /docs)\n` +
          `  Dashboard:   http://localhost:${apiService.port}/\n` +
          `  Admin key:   ${key}\n` +
          `  Demo camera: ${camera.id}\n\n` +
          `  Try: curl -H 'Authorization: Bearer ${key}' http://localhost:${apiService.port}/v1/cameras/${camera.id}/history\n` +
          `  Ctrl-C stops everything.\n`,
      );
      void reportFirstDetections(base, key, camera.id);
      await waitForSignal();
    } finally {
      await stack.stop();
    }
    return 0;
  },
};

/** Tells the person at the terminal when the demo camera's first frames have been analysed. */
async function reportFirstDetections(base: string, key: string, cameraId: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const h = (await api(base, key, `/v1/cameras/${cameraId}/history`)) as { latest?: { counts?: Record<string, number>; frameId?: string } | null };
      if (h.latest) {
        const counts = Object.entries(h.latest.counts ?? {}).map(([cls, n]) => `${n} ${cls}`);
        console.log(`first analysed frame ${h.latest.frameId}: ${counts.length ? `${counts.join(', ')} on the water` : 'no debris on the water'}`);
        return;
      }
    } catch {
      // API not ready yet, or shutting down.
    }
  }
}
