import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ConfigError, EvidenceStore, RedisKeys, createRedis, loadConfig } from '@riverwatch/common';
import { exportReviewDataset } from '@riverwatch/worker';
import type { CliCommand } from '../../main.ts';
import { runStack } from '../../stack.ts';
import { readFile } from 'node:fs/promises';

const usage = `usage: riverwatch dataset export --from TIME --to TIME DIR

Writes the frames the labelling loop collected between two times (uncertain
detections and rejected alerts, with YOLO labels) as a YOLO dataset in DIR.
TIME is an ISO date/time or epoch milliseconds. Uses REDIS_URL / S3_ENDPOINT, or
the local servers under DATA_DIR when they are unset.`;

export function parseTime(value: string, flag: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new ConfigError(`${flag} must be an ISO date/time or epoch milliseconds, got "${value}"`);
  return n;
}

export const subcommand: CliCommand = {
  name: 'export',
  summary: 'export labelling-loop frames as a YOLO dataset',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' } }, allowPositionals: true });
    if (!values.from || !values.to || positionals.length !== 1) throw new ConfigError(`--from, --to and one output DIR are required\n\n${usage}`);
    const from = parseTime(values.from, '--from');
    const to = parseTime(values.to, '--to');
    const config = loadConfig();
    // No services: just Redis and S3 (local ones over DATA_DIR when not configured).
    const stack = await runStack({ services: [], env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } });
    const redis = createRedis(stack.redisUrl);
    try {
      const classes = await readFile(resolve(config.inference.modelRepository, config.worker.detectorModel, 'config.json'), 'utf8')
        .then((json) => (JSON.parse(json) as { classes: string[] }).classes)
        .catch(() => ['bottle', 'bag', 'foam', 'can', 'wood']);
      const result = await exportReviewDataset({
        redis,
        keys: new RedisKeys(stack.config.keyPrefix),
        store: EvidenceStore.fromConfig(stack.config.s3, stack.s3Endpoint),
        from,
        to,
        outDir: resolve(positionals[0]!),
        classes,
      });
      console.log(`exported ${result.images} frames to ${resolve(positionals[0]!)}`);
      return 0;
    } finally {
      redis.disconnect();
      await stack.stop();
    }
  },
};
