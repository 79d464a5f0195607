import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createRedis, deleteKeys, EvidenceStore, loadConfig, RedisKeys, scanKeys, type Redis, type RiverwatchConfig } from '@riverwatch/common';

export interface TestContext {
  /** Unique per test: Redis key prefix (also BullMQ's) and S3 bucket prefix. */
  keyPrefix: string;
  bucketPrefix: string;
  /** Environment for loadConfig / runStack / child processes, pointing at the test servers. */
  env: Record<string, string>;
  config: RiverwatchConfig;
  redisUrl: string;
  s3Endpoint: string;
  redis: Redis;
  keys: RedisKeys;
  store: EvidenceStore;
  /** Deletes every key under the prefix and the test's buckets. */
  cleanup(): Promise<void>;
}

/** Environment for services that find one another's inference server at a fixed local port. */
export function inferenceAt(grpcPort: number): { GRPC_PORT: string; INFERENCE_TARGETS: string } {
  return { GRPC_PORT: String(grpcPort), INFERENCE_TARGETS: `127.0.0.1:${grpcPort}` };
}

export async function createTestContext(extraEnv: Record<string, string> = {}): Promise<TestContext> {
  const id = randomBytes(4).toString('hex');
  const keyPrefix = `t${id}`;
  const bucketPrefix = `t${id}`;
  // A test that runs its own Redis or S3 (to stop it) passes its address; the context then talks to it too.
  const redisUrl = extraEnv.REDIS_URL ?? inject('redisUrl');
  const s3 = extraEnv.S3_ENDPOINT ? { ...inject('s3'), endpoint: extraEnv.S3_ENDPOINT } : inject('s3');
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET_PREFIX: bucketPrefix,
    KEY_PREFIX: keyPrefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    GRPC_PORT: '0',
    INFERENCE_METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
    INGEST_METRICS_PORT: '0',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const redis = createRedis(redisUrl);
  const store = EvidenceStore.fromConfig(config.s3, s3.endpoint);
  return {
    keyPrefix,
    bucketPrefix,
    env,
    config,
    redisUrl,
    s3Endpoint: s3.endpoint,
    redis,
    keys: new RedisKeys(keyPrefix),
    store,
    async cleanup() {
      const deleteAll = async () => {
        for (const pattern of [`${keyPrefix}:*`, `{${keyPrefix}:*`]) await deleteKeys(redis, await scanKeys(redis, pattern));
      };
      // A Redis the test started itself may already be stopped; its data goes with it.
      await (extraEnv.REDIS_URL ? deleteAll().catch(() => {}) : deleteAll());
      await store.destroy(['snapshots', 'masks', 'review', 'models']).catch(() => {});
      redis.disconnect();
    },
  };
}
