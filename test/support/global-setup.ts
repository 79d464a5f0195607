import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedS3, startLocalRedis, startLocalRedisCluster } from '@riverwatch/local-infra';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    s3: { endpoint: string; accessKey: string; secretKey: string };
  }
}

type Stop = () => Promise<void>;

/** Is a Docker engine answering? (The docker client alone is not enough.) */
async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, r) => setTimeout(() => r(new Error('timeout')), 3000))]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Real servers for the whole run: REDIS_URL / S3_ENDPOINT when set, else
 * testcontainers when a Docker engine answers, else local processes on free ports.
 * RIVERWATCH_TEST_REDIS=cluster runs the tests on a local three-master Redis Cluster instead
 * (`npm run test:cluster`).
 * Tests isolate themselves by key prefix, queue names and bucket (see context.ts).
 */
export default async function setup(project: TestProject): Promise<Stop> {
  const stops: Stop[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'riverwatch-test-'));
  const useDocker = (!process.env.REDIS_URL || !process.env.S3_ENDPOINT) && (await dockerAvailable());

  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl && process.env.RIVERWATCH_TEST_REDIS === 'cluster') {
    const r = await startLocalRedisCluster({ dataDir: join(dataDir, 'redis-cluster') });
    redisUrl = r.url;
    stops.push(r.stop);
  } else if (!redisUrl && useDocker) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const c = await new RedisContainer('redis:7').withCommand(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']).start();
    redisUrl = c.getConnectionUrl();
    stops.push(async () => void (await c.stop()));
  } else if (!redisUrl) {
    const r = await startLocalRedis({ dataDir: join(dataDir, 'redis') });
    redisUrl = r.url;
    stops.push(r.stop);
  }

  let s3 = process.env.S3_ENDPOINT
    ? { endpoint: process.env.S3_ENDPOINT, accessKey: process.env.S3_ACCESS_KEY ?? '', secretKey: process.env.S3_SECRET_KEY ?? '' }
    : undefined;
  if (!s3 && useDocker) {
    const { MinioContainer } = await import('@testcontainers/minio');
    const c = await new MinioContainer('minio/minio:latest').start();
    s3 = { endpoint: c.getConnectionUrl(), accessKey: c.getUsername(), secretKey: c.getPassword() };
    stops.push(async () => void (await c.stop()));
  } else if (!s3) {
    const server = await startEmbeddedS3({ dataDir: join(dataDir, 's3') });
    s3 = { endpoint: server.url, accessKey: server.accessKey, secretKey: server.secretKey };
    stops.push(server.stop);
  }

  project.provide('redisUrl', redisUrl);
  project.provide('s3', s3);
  return async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
