import { parseArgs } from 'node:util';
import { ConfigError, EvidenceStore, RedisKeys, createRedis } from '@riverwatch/common';
import type { CliCommand } from '../main.ts';
import { runAudit, type AuditReport } from '../audit/run-audit.ts';
import { runStack } from '../stack.ts';
import { parseTime } from './dataset/export.ts';

const usage = `usage: riverwatch audit [--json] [--since TIME] [--camera ID]

Accounts for every frame ingest queued (the frame ledger): each must be exactly one of
committed, dropped (with a reason) or failed (with a reason); frames still queued are
reported as in flight. Also checks that no frame is in the history twice, no two alerts of
a camera and type were open at once, and every alert's snapshot exists in S3.
Exits 1 when anything is lost, in two states, duplicated or missing.

  --since TIME   ISO date/time, epoch milliseconds, or a duration ago (30m, 2h, 7d);
                 default: everything the ledger keeps (SUMMARY_RETENTION_HOURS)
  --camera ID    one camera only
  --json         the report as JSON

Uses REDIS_URL / S3_ENDPOINT, or the local servers under DATA_DIR when they are unset.`;

/** TIME as --since takes it: a duration ago, or what `dataset export` takes. */
export function parseSince(value: string, now = Date.now()): number {
  const ago = value.match(/^(\d+)(s|m|h|d)$/);
  if (!ago) return parseTime(value, '--since');
  const unit = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'];
  return now - Number(ago[1]) * unit;
}

function summary(r: AuditReport): string {
  const f = r.frames;
  const reasons = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
  return [
    `frames queued ${f.queued} in ${r.cameras} camera(s) since ${new Date(r.since).toISOString()}`,
    `  committed ${f.committed}, dropped ${f.dropped} (${reasons(r.dropReasons)}), failed ${f.failed} (${reasons(r.failReasons)}), in flight ${f.inFlight}`,
    `  lost ${f.lost}, in two states ${f.inTwoStates}`,
    `duplicates: commits ${r.duplicates.commits}, alerts ${r.duplicates.alerts}`,
    `alerts checked ${r.alerts.checked}, evidence missing ${r.alerts.missingEvidence}`,
    ...r.problems.map((p) => `  ${p.kind} camera ${p.cameraId}${p.frameId ? ` frame ${p.frameId}` : ''}${p.alertId ? ` alert ${p.alertId}` : ''}: ${p.detail}`),
    r.ok ? 'ok' : 'NOT OK',
  ].join('\n');
}

export const command: CliCommand = {
  name: 'audit',
  summary: 'account for every frame and alert: nothing lost, nothing duplicated',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, since: { type: 'string' }, camera: { type: 'string' } }, allowPositionals: true });
    if (positionals.length) throw new ConfigError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    const since = values.since === undefined ? undefined : parseSince(values.since);
    // No services: just Redis and S3 (local ones over DATA_DIR when not configured).
    const stack = await runStack({ services: [], env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } });
    const redis = createRedis(stack.redisUrl);
    try {
      const report = await runAudit({
        redis,
        keys: new RedisKeys(stack.config.keyPrefix),
        store: EvidenceStore.fromConfig(stack.config.s3, stack.s3Endpoint),
        since,
        cameraId: values.camera,
      });
      console.log(values.json ? JSON.stringify(report, null, 2) : summary(report));
      return report.ok ? 0 : 1;
    } finally {
      redis.disconnect();
      await stack.stop();
    }
  },
};
