import { Queue } from 'bullmq';
import { QueueName, mgetKeys, readCommitted, readLedger, ledgerCameraId, scanKeys, type AlertRecord, type EvidenceStore, type FrameBatchJob, type FrameJob, type LedgerEntry, type Redis, type RedisKeys } from '@riverwatch/common';
import { accountFrames, duplicateAlerts, emptyCounts, type AuditProblem, type FrameCounts, type JobInfo } from './frame-accounting.ts';

export interface AuditOptions {
  redis: Redis;
  keys: RedisKeys;
  store: EvidenceStore;
  /** Frames queued and alerts opened at or after this time (ms); default: all the ledger keeps. */
  since?: number;
  cameraId?: string;
}

export interface AuditReport {
  since: number;
  until: number;
  cameras: number;
  frames: FrameCounts;
  dropReasons: Record<string, number>;
  failReasons: Record<string, number>;
  /** Frames committed more than once (history entries of one frame), alerts open twice at once. */
  duplicates: { commits: number; alerts: number };
  alerts: { checked: number; missingEvidence: number };
  /** The first 100 problems found. */
  problems: AuditProblem[];
  /** Nothing lost, nothing in two states, nothing duplicated, every alert's evidence in S3. */
  ok: boolean;
}

const MAX_PROBLEMS = 100;
/**
 * A frame's `committed` is its history entry, filed at its capture time (or later), and a
 * frame is captured before it is queued: the history is read from this long before the window.
 */
const CAPTURE_TO_QUEUE_MARGIN_MS = 10 * 60_000;

/**
 * Reads the frame ledger, the history (a frame's commit) and the alerts back and accounts for
 * every frame ingest queued since `since`. Read-only: safe on a running pipeline (frames still in the
 * queue are reported as in flight).
 */
export async function runAudit(opts: AuditOptions): Promise<AuditReport> {
  const { redis, keys, store } = opts;
  const since = opts.since ?? 0;
  // A cluster client lists its nodes (SCAN goes node by node) only once it is ready; a command waits for that.
  await redis.ping();
  const cameraIds = opts.cameraId
    ? [opts.cameraId]
    : (await scanKeys(redis, keys.frameLedger('*'))).flatMap((k) => ledgerCameraId(keys, k) ?? []).sort();
  const report: AuditReport = {
    since,
    until: Date.now(),
    cameras: cameraIds.length,
    frames: emptyCounts(),
    dropReasons: {},
    failReasons: {},
    duplicates: { commits: 0, alerts: 0 },
    alerts: { checked: 0, missingEvidence: 0 },
    problems: [],
    ok: true,
  };
  const problems: AuditProblem[] = [];
  const queue = new Queue<FrameJob | FrameBatchJob>(QueueName.frames, { connection: redis, prefix: keys.queuePrefix });
  try {
    for (const cameraId of cameraIds) {
      // Frames with no outcome yet: their jobs are looked up, then the ledger and the history are
      // read on from where they ended, so a frame finished in between is counted by its outcome,
      // not as lost. A commit is the frame's history entry, filed at its capture time (or later).
      const ledger = await readLedger(redis, keys, cameraId, { since });
      const commits = await readCommitted(redis, keys, cameraId, { since: Math.max(0, since - CAPTURE_TO_QUEUE_MARGIN_MS) });
      const jobs = new Map<string, JobInfo>();
      // A batched frame's job is its batch's (named by its `queued` entry).
      const batchOf = new Map(ledger.flatMap((e) => (e.batchId ? [[e.frameId, e.batchId] as const] : [])));
      for (const frameId of accountFrames(cameraId, ofQueued(ledger, commits)).unresolved) jobs.set(frameId, await jobInfo(queue, batchOf.get(frameId) ?? frameId));
      const lastEntry = ledger.at(-1)?.id;
      const lastCommit = commits.at(-1)?.id;
      if (lastEntry) ledger.push(...(await readLedger(redis, keys, cameraId, { afterId: lastEntry })));
      commits.push(...(await readCommitted(redis, keys, cameraId, lastCommit ? { afterId: lastCommit } : { since: Math.max(0, since - CAPTURE_TO_QUEUE_MARGIN_MS) })));
      const account = accountFrames(cameraId, ofQueued(ledger, commits), jobs);
      for (const k of Object.keys(report.frames) as (keyof FrameCounts)[]) report.frames[k] += account.counts[k];
      merge(report.dropReasons, account.dropReasons);
      merge(report.failReasons, account.failReasons);
      report.duplicates.commits += account.duplicateCommits;
      problems.push(...account.problems);
    }

    const alerts = await alertsSince(redis, keys, since, opts.cameraId);
    const dupAlerts = duplicateAlerts(alerts);
    report.duplicates.alerts = dupAlerts.length;
    problems.push(...dupAlerts);
    for (const alert of alerts) {
      report.alerts.checked++;
      for (const key of [alert.snapshotKey, alert.frameKey]) {
        if (key && !(await store.exists('snapshots', key))) {
          report.alerts.missingEvidence++;
          problems.push({ kind: 'missing_evidence', cameraId: alert.cameraId, alertId: alert.id, detail: `snapshots/${key} does not exist` });
        }
      }
    }
  } finally {
    await queue.close();
  }
  report.problems = problems.slice(0, MAX_PROBLEMS);
  report.ok = problems.length === 0;
  return report;
}

/** The ledger's entries with the commits of the frames it queued (a commit of a frame queued before the window is left out). */
function ofQueued(ledger: LedgerEntry[], commits: LedgerEntry[]): LedgerEntry[] {
  const queued = new Set(ledger.flatMap((e) => (e.event === 'queued' ? [e.frameId] : [])));
  return [...ledger, ...commits.filter((e) => queued.has(e.frameId))];
}

async function jobInfo(queue: Queue<FrameJob | FrameBatchJob>, jobId: string): Promise<JobInfo> {
  const state = await queue.getJobState(jobId);
  if (state !== 'failed') return { state };
  const job = await queue.getJob(jobId);
  return { state, failedReason: job?.failedReason };
}

/** Alerts opened at or after `since` and those still open then (one camera's, or all). */
async function alertsSince(redis: Redis, keys: RedisKeys, since: number, cameraId?: string): Promise<AlertRecord[]> {
  const ids = await redis.zrange(keys.alertIndex(), 0, -1);
  const records = (await mgetKeys(redis, ids.map((id) => keys.alert(id)))).flatMap((json) => (json ? [JSON.parse(json) as AlertRecord] : []));
  return records.filter((a) => (!cameraId || a.cameraId === cameraId) && (a.openedAt >= since || a.resolvedAt === null || a.resolvedAt >= since));
}

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}
