import { connect } from 'node:net';
import type { EvidenceStore, Redis } from '@riverwatch/common';

const PROBE_TIMEOUT_MS = 1500;

function withTimeout<T>(p: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), PROBE_TIMEOUT_MS)))]).finally(() => clearTimeout(timer));
}

/** /readyz: do Redis, S3 and the first inference target answer? */
export class DependencyProbe {
  constructor(
    private readonly redis: Redis,
    private readonly store: EvidenceStore,
    private readonly inferenceTarget: string | undefined,
  ) {}

  async check(): Promise<Record<string, boolean>> {
    const [redis, s3, inference] = await Promise.all([
      withTimeout(this.redis.ping().then((r) => r === 'PONG', () => false), false),
      withTimeout(this.store.ping(), false),
      withTimeout(this.tcpReachable(), false),
    ]);
    return { redis, s3, inference };
  }

  /** A plain TCP connect: enough to know a gRPC server listens, without importing the inference service. */
  private tcpReachable(): Promise<boolean> {
    if (!this.inferenceTarget) return Promise.resolve(false);
    const at = this.inferenceTarget.lastIndexOf(':');
    const host = this.inferenceTarget.slice(0, at).replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(this.inferenceTarget.slice(at + 1));
    return new Promise((resolve) => {
      const socket = connect({ host, port, timeout: PROBE_TIMEOUT_MS });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.once('timeout', () => done(false));
    });
  }
}
