import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from './errors.ts';
import { waitForRedis } from './redis.ts';

describe('waitForRedis', () => {
  it('names REDIS_URL and never echoes the password when Redis is unreachable', async () => {
    const err = await waitForRedis('redis://:hunter2@127.0.0.1:1', 2000).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is unreachable \(REDIS_URL\)/);
    expect((err as Error).message).not.toContain('hunter2');
  });
});
