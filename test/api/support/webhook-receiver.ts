import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  /** Which of the receiver's known secrets verified the signature (indexes), [] when none did. */
  verifiedBy: number[];
}

type Behaviour = (hit: number, req: IncomingMessage, res: ServerResponse) => void;

/**
 * A webhook endpoint as an operator would run it: verifies Standard Webhooks
 * signatures itself (independently of riverwatch's signing code) and answers
 * per path with a scripted behaviour.
 */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  private readonly hits = new Map<string, number>();
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly hanging: ServerResponse[] = [];
  secrets: string[] = [];
  port = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    let self: WebhookReceiver;
    const server = createServer((req, res) => self.handle(req, res));
    self = new WebhookReceiver(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self.port = (server.address() as AddressInfo).port;
    return self;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, behaviour: Behaviour): this {
    this.behaviours.set(path, behaviour);
    return this;
  }

  /** Never answers (until the receiver stops). */
  hang(path: string): this {
    return this.on(path, (_n, _req, res) => void this.hanging.push(res));
  }

  at(path: string): ReceivedHook[] {
    return this.received.filter((r) => r.path === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      const timestamp = Number(req.headers['webhook-timestamp']);
      const signature = String(req.headers['webhook-signature'] ?? '');
      const content = `${id}.${timestamp}.${body}`;
      const offered = signature.split(' ').filter((s) => s.startsWith('v1,')).map((s) => Buffer.from(s.slice(3), 'base64'));
      const verifiedBy = this.secrets.flatMap((secret, i) => {
        const expected = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(content).digest();
        return offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected)) ? [i] : [];
      });
      this.received.push({ path, id, timestamp, signature, body, verifiedBy });
      const n = (this.hits.get(path) ?? 0) + 1;
      this.hits.set(path, n);
      const behaviour = this.behaviours.get(path);
      if (behaviour) behaviour(n, req, res);
      else res.writeHead(verifiedBy.length ? 204 : 401).end();
    });
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
