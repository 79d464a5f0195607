/** Every service is a module whose start() returns a handle to stop it. */
export interface RunningService {
  readonly name: string;
  /** The bound API port (the api service); with PORT=0 it is only known after start. */
  readonly port?: number;
  /** Idempotent: a second call waits for the first (connections are closed once; see stopOnce). */
  stop(): Promise<void>;
}

/**
 * Wraps a service's shutdown so that it runs once and later calls share its promise.
 * A second run would send commands on closed connections, which on a Redis Cluster
 * client wait for a reconnect that never comes.
 */
export function stopOnce(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}

import type { RiverwatchConfig } from './config.ts';
import type { Logger } from './logger.ts';

/** What every service's start() receives: validated config and resolved endpoints. */
export interface ServiceContext {
  config: RiverwatchConfig;
  logger: Logger;
  /** Always set: either REDIS_URL or the local redis-server the CLI started. */
  redisUrl: string;
  /** Always set: either S3_ENDPOINT or the embedded S3 server the CLI started. */
  s3Endpoint: string;
}

export type ServiceName = 'api' | 'worker' | 'ingest' | 'inference';
export const SERVICE_NAMES: readonly ServiceName[] = ['inference', 'worker', 'ingest', 'api'];
