import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { ConfigError } from './errors.ts';

describe('loadConfig', () => {
  it('gives single-machine defaults with no environment', () => {
    const c = loadConfig({});
    expect(c.redisUrl).toBeUndefined();
    expect(c.s3.endpoint).toBeUndefined();
    expect(c.api.port).toBe(8080);
    expect(c.dataDir).toMatch(/\/data$/);
  });

  it.each([
    [{ PORT: '80a' }, /PORT must be an integer between 0 and 65535, got "80a"/],
    [{ PORT: '70000' }, /PORT must be an integer between 0 and 65535, got 70000/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a URL/],
    [{ REDIS_URL: 'http://localhost:6379' }, /REDIS_URL must be a URL with scheme redis or rediss/],
    [{ REDIS_URL: 'redis-cluster://10.0.0.1:7000,10.0.0.2:x' }, /REDIS_URL: '10.0.0.2:x' is not host:port, got "redis-cluster:\/\/10.0.0.1:7000,10.0.0.2:x"/],
    [{ S3_ENDPOINT: 'ftp://x' }, /S3_ENDPOINT must be a URL with scheme http or https/],
    [{ INFERENCE_PROVIDERS: 'tpu' }, /INFERENCE_PROVIDERS must be a comma list of cuda, cpu/],
    [{ INFERENCE_REQUIRE_GPU: 'maybe' }, /INFERENCE_REQUIRE_GPU must be true or false/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ REVIEW_SCORE_BAND: '0.6,0.2' }, /REVIEW_SCORE_BAND must be "low,high"/],
    [{ KEY_PREFIX: 'a:b' }, /KEY_PREFIX must be/],
    [{ API_TRUST_PROXY: '10.0.0.0/33' }, /API_TRUST_PROXY must be false, a hop count, or proxy addresses\/CIDRs .*"10.0.0.0\/33"/],
    [{ API_TRUST_PROXY: 'ingress.local' }, /API_TRUST_PROXY must be/],
  ])('names the variable and what it expects: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes one Redis server or the seed nodes of a Redis Cluster', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@redis.internal:6380/2' }).redisUrl).toBe('rediss://:pw@redis.internal:6380/2');
    expect(loadConfig({ REDIS_URL: 'redis-cluster://10.0.0.1:7000,10.0.0.2:7001' }).redisUrl).toBe('redis-cluster://10.0.0.1:7000,10.0.0.2:7001');
  });

  it('reads API_TRUST_PROXY as off, a hop count or a list of proxies', () => {
    expect(loadConfig({}).api.trustProxy).toBe(false);
    expect(loadConfig({ API_TRUST_PROXY: 'false' }).api.trustProxy).toBe(false);
    expect(loadConfig({ API_TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
    expect(loadConfig({ API_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).api.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
  });

  it('every environment variable it reads is documented in docs/configuration.md', () => {
    const source = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
    const names = new Set([...source.matchAll(/\(env, '([A-Z0-9_]+)'/g), ...source.matchAll(/env\.([A-Z0-9_]+)/g)].map((m) => m[1]!));
    const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const missing = [...names].filter((n) => !docs.includes(`\`${n}\``));
    expect(names.size).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
