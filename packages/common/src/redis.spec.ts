import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from './errors.ts';
import { isRedisUnavailable, parseRedisUrl, waitForRedis } from './redis.ts';

describe('waitForRedis', () => {
  it('names REDIS_URL and never echoes the password when Redis is unreachable', async () => {
    const err = await waitForRedis('redis://:hunter2@127.0.0.1:1', 2000).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is unreachable \(REDIS_URL\)/);
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe('parseRedisUrl', () => {
  it('leaves a one-server URL to ioredis', () => {
    expect(parseRedisUrl('redis://:pw@host:6380/1')).toEqual({ cluster: false, url: 'redis://:pw@host:6380/1' });
  });

  it('reads the seed nodes, credentials and TLS of a cluster URL', () => {
    expect(parseRedisUrl('redis-cluster://10.0.0.1:7000, node-b ,[::1]:7002')).toEqual({
      cluster: true,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'node-b', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseRedisUrl('rediss-cluster://app:p%40ss:w@a:1')).toMatchObject({ username: 'app', password: 'p@ss:w', tls: true, nodes: [{ host: 'a', port: 1 }] });
    expect(parseRedisUrl('redis-cluster://:only-pw@a:1')).toMatchObject({ username: undefined, password: 'only-pw' });
  });

  it('rejects a node that is not host:port', () => {
    expect(() => parseRedisUrl('redis-cluster://a:1,b:port')).toThrow("REDIS_URL: 'b:port' is not host:port");
    expect(() => parseRedisUrl('redis-cluster://a:1,,b:2')).toThrow("REDIS_URL: '' is not host:port");
  });
});

describe('waitForRedis on a cluster URL', () => {
  it('names REDIS_URL, hides the password and says why when no seed node answers', async () => {
    const err = await waitForRedis('redis-cluster://:hunter2@127.0.0.1:1,127.0.0.1:2', 2000).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toMatch(/^Redis at redis-cluster:\/\/:\*\*\*@127\.0\.0\.1:1,127\.0\.0\.1:2 is unreachable \(REDIS_URL\): /);
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe('isRedisUnavailable', () => {
  it('knows the errors ioredis gives when Redis is down or frozen, and nothing else', () => {
    const named = (name: string, message = '') => Object.assign(new Error(message), { name });
    expect(isRedisUnavailable(new Error('Command timed out'))).toBe(true);
    expect(isRedisUnavailable(named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 2).'))).toBe(true);
    expect(isRedisUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRedisUnavailable(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailable(new Error('camera not found'))).toBe(false);
    expect(isRedisUnavailable(null)).toBe(false);
  });
});
