import { Cluster, Redis as RedisClient, type RedisOptions } from 'ioredis';
import { DependencyUnavailableError } from './errors.ts';

/**
 * A connection to one Redis or to a Redis Cluster: the same commands, routed by
 * key slot on a cluster. Code that touches several keys in one command, MULTI or
 * script keeps them in one slot (RedisKeys' hash tags) or goes key by key (mgetKeys).
 */
export type Redis = RedisClient | Cluster;

const CLUSTER_SCHEMES = new Set(['redis-cluster:', 'rediss-cluster:']);

/** A REDIS_URL taken apart: one server (ioredis parses the URL itself) or a cluster's seed nodes. */
export type RedisTarget =
  | { cluster: false; url: string }
  | { cluster: true; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

/**
 * `redis://` and `rediss://` name one server; `redis-cluster://[user:pass@]host:port,host:port,...`
 * (`rediss-cluster://` with TLS) names seed nodes of a Redis Cluster: any reachable one is enough,
 * the client learns the rest of the cluster from it.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = url.slice(0, url.indexOf('//'));
  if (!CLUSTER_SCHEMES.has(scheme)) return { cluster: false, url };
  const rest = url.slice(scheme.length + 2);
  const at = rest.lastIndexOf('@');
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const hosts = (at >= 0 ? rest.slice(at + 1) : rest).replace(/\/.*$/, '');
  const nodes = hosts.split(',').map((h) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(h.trim());
    if (!m) throw new Error(`REDIS_URL: '${h}' is not host:port`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 6379 };
  });
  const [user, ...pass] = auth ? auth.split(':') : [];
  return {
    cluster: true,
    nodes,
    username: user ? decodeURIComponent(user) : undefined,
    password: pass.length ? decodeURIComponent(pass.join(':')) : undefined,
    tls: scheme === 'rediss-cluster:',
  };
}

/** What every connection to a cluster's nodes needs from its URL. */
function nodeOptions(target: Extract<RedisTarget, { cluster: true }>): RedisOptions {
  return { username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) };
}

/**
 * 'blocking' connections (BullMQ workers, subscribers) retry forever, as BullMQ requires;
 * 'command' connections (producers, API) fail fast so callers see errors instead of hanging.
 */
export function createRedis(url: string, kind: 'blocking' | 'command' = 'command', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    kind === 'blocking'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 2, connectTimeout: 5000 };
  const target = parseRedisUrl(url);
  const client = target.cluster
    ? new Cluster(target.nodes, {
        redisOptions: { ...options, ...nodeOptions(target), ...extra },
        // Commands wait for the slot map instead of failing while the client first learns it.
        enableOfflineQueue: true,
        enableReadyCheck: true,
      })
    : new RedisClient(url, { ...options, ...extra });
  // ioredis reconnects by itself; without a listener every failed attempt is printed as "Unhandled error event".
  client.on('error', () => {});
  return client;
}

/**
 * True for the errors ioredis gives when Redis cannot be reached or does not answer in time
 * (commandTimeout, retries used up while reconnecting, the connection gone): the caller may
 * answer "unavailable, retry" rather than "internal error".
 */
export function isRedisUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string } | null;
  if (!e) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    e.message === 'Command timed out' ||
    /^(Connection is closed|Stream isn't writeable)/.test(e.message ?? '') ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code ?? '')
  );
}

/** Another connection to the same server or cluster, with some connection options changed. */
export function duplicateRedis(redis: Redis, override: RedisOptions): Redis {
  const copy =
    redis instanceof Cluster
      ? redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, ...override } })
      : redis.duplicate(override);
  copy.on('error', () => {});
  return copy;
}

/** MGET that also works across slots on a cluster (there: one GET per key, all sent at once). */
export async function mgetKeys(redis: Redis, keys: string[]): Promise<(string | null)[]> {
  if (!keys.length) return [];
  return redis instanceof Cluster ? Promise.all(keys.map((k) => redis.get(k))) : redis.mget(keys);
}

/** DEL of several keys: one command on a single server, key by key on a cluster (they may live in different slots). */
export async function deleteKeys(redis: Redis, keys: string[]): Promise<void> {
  if (!keys.length) return;
  if (redis instanceof Cluster) await Promise.all(keys.map((k) => redis.del(k)));
  else await redis.del(...keys);
}

/** Every key under a pattern, from every master on a cluster. */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
  }
  return found;
}

/** Resolves once Redis answers PING (a cluster: any seed node with cluster_state:ok); rejects with a clear message within timeoutMs. */
export async function waitForRedis(url: string, timeoutMs = 5000): Promise<void> {
  let target: RedisTarget;
  try {
    target = parseRedisUrl(url);
  } catch (err) {
    throw new DependencyUnavailableError(`Redis at ${redactUrl(url)} is unusable (REDIS_URL): ${(err as Error).message}`);
  }
  const seeds = target.cluster ? target.nodes : [undefined];
  const probes = seeds.map((node) => {
    const options: RedisOptions = {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    };
    const probe = target.cluster
      ? new RedisClient({ ...options, ...node, ...nodeOptions(target) })
      : new RedisClient(url, options);
    probe.on('error', () => {});
    return probe;
  });
  const safeUrl = redactUrl(url);
  let timer: NodeJS.Timeout | undefined;
  const check = async (probe: RedisClient) => {
    await probe.connect();
    if (!target.cluster) return void (await probe.ping());
    const info = (await probe.cluster('INFO')) as string;
    if (!/cluster_state:ok/.test(info)) throw new Error(`${probe.options.host}:${probe.options.port} reports ${/cluster_state:\w+/.exec(info)?.[0] ?? 'no cluster state'}`);
  };
  try {
    // A cluster is usable once any seed answers with cluster_state:ok.
    await Promise.race([
      Promise.any(probes.map(check)).catch((e: AggregateError) => Promise.reject(e.errors?.[0] ?? e)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new DependencyUnavailableError(`Redis at ${safeUrl} is unreachable (REDIS_URL): ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    for (const p of probes) p.disconnect();
  }
}

/** The URL with any password replaced, safe to log or echo. */
function redactUrl(url: string): string {
  if (CLUSTER_SCHEMES.has(url.slice(0, url.indexOf('//')))) return url.replace(/\/\/([^:@/]*):[^@]*@/, '//$1:***@');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
