import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register } from 'prom-client';
import { collectProcessMetrics } from './metrics.ts';

export type ReadinessCheck = () => Promise<Record<string, boolean>>;

/**
 * The small HTTP server every non-API service exposes: /healthz (process alive),
 * /readyz (dependencies answer) and /metrics (Prometheus text format).
 */
export class OpsServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(port: number, ready: ReadinessCheck, host = '0.0.0.0'): Promise<OpsServer> {
    collectProcessMetrics();
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } else if (path === '/readyz') {
        ready().then(
          (checks) => {
            const ok = Object.values(checks).every(Boolean);
            res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'not_ready', checks }));
          },
          (err: Error) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'not_ready', error: err.message })),
        );
      } else if (path === '/metrics') {
        register.metrics().then(
          (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return new OpsServer(server, (server.address() as AddressInfo).port);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
