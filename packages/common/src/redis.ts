import { Redis, type RedisOptions } from 'ioredis';
import { DependencyUnavailableError } from './errors.ts';

export { Redis };

/**
 * 'blocking' connections (BullMQ workers, subscribers) retry forever, as BullMQ requires;
 * 'command' connections (producers, API) fail fast so callers see errors instead of hanging.
 */
export function createRedis(url: string, kind: 'blocking' | 'command' = 'command', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    kind === 'blocking'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 2, connectTimeout: 5000 };
  const client = new Redis(url, { ...options, ...extra });
  // ioredis reconnects by itself; without a listener every failed attempt is printed as "Unhandled error event".
  client.on('error', () => {});
  return client;
}

/** Resolves once Redis answers PING; rejects with a clear message within timeoutMs. */
export async function waitForRedis(url: string, timeoutMs = 5000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  const safeUrl = redactUrl(url);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new DependencyUnavailableError(`Redis at ${safeUrl} is unreachable (REDIS_URL): ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

/** The URL with any password replaced, safe to log or echo. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
