import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from './errors.ts';
import { parseRedisUrl, waitForRedis } from './redis.ts';

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
