import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.ts';
import type { Principal } from '../fastify-types.ts';
import { hashApiKey, hasRole } from '../security/api-key.ts';

const WINDOW_MS = 60_000;

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header) {
    const m = header.match(/^Bearer\s+(\S+)\s*$/i);
    return m ? m[1]! : null;
  }
  if (request.routeOptions.config.queryToken) {
    const token = (request.query as { access_token?: unknown } | undefined)?.access_token;
    if (typeof token === 'string' && token) return token;
  }
  return null;
}

/**
 * On every request: resolve the API key (the bootstrap admin key from config,
 * else a stored key by hash), count it against the Redis rate limit, then
 * enforce the route's role. Order matters: unauthenticated callers are rate
 * limited by address too, so guessing keys is slow.
 */
export function installAuth(app: FastifyInstance): void {
  const { config, apiKeys, rateLimits } = app.deps;
  const adminHash = config.api.adminKey ? Buffer.from(hashApiKey(config.api.adminKey), 'hex') : null;
  const limit = config.api.rateLimitPerMinute;

  async function resolve(token: string): Promise<Principal | null> {
    const hash = hashApiKey(token);
    if (adminHash && timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) {
      return { id: 'bootstrap-admin', name: 'bootstrap admin', role: 'admin', cameras: [] };
    }
    const record = await apiKeys.findByHash(hash);
    return record ? { id: record.id, name: record.name, role: record.role, cameras: record.cameras } : null;
  }

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const role = request.routeOptions.config.role ?? (request.url.startsWith('/v1') ? 'viewer' : 'public');
    if (role === 'public') return;
    const token = bearer(request);
    const principal = token ? await resolve(token) : null;

    const hit = await rateLimits.hit(principal ? `key:${principal.id}` : `ip:${request.ip}`, WINDOW_MS);
    reply.header('x-ratelimit-limit', String(limit));
    reply.header('x-ratelimit-remaining', String(Math.max(0, limit - hit.count)));
    if (hit.count > limit) {
      throw new HttpError(429, `rate limit of ${limit} requests per minute exceeded`, { 'retry-after': String(Math.max(1, Math.ceil(hit.resetMs / 1000))) });
    }
    if (!principal) {
      throw new HttpError(401, token ? 'unknown API key' : 'missing API key: send Authorization: Bearer <key>', { 'www-authenticate': 'Bearer' });
    }
    if (!hasRole(principal, role)) throw new HttpError(403, `this route needs the ${role} role; the key has ${principal.role}`);
    request.principal = principal;
  });
}
