import type { ChainableCommander } from 'ioredis';
import type { RedisKeys } from './keys.ts';
import type { Redis } from './redis.ts';
import type { FrameSummary } from './domain.ts';

/**
 * The frame ledger: per camera, a Redis stream (`cam:{id}:ledger`) of what happened to each
 * frame ingest queued. Ingest writes `queued`; a frame then has exactly one outcome:
 * `committed` (its summary in the camera's history stream, written by the worker's commit:
 * readCommitted), or `dropped` or `failed` with a reason, written here by the worker (or by
 * ingest, when it replaces a waiting frame). `riverwatch audit` reads both back and checks
 * that every frame has exactly one.
 *
 * Cheap: a committed frame, nearly every one, costs the ledger nothing beyond its `queued`
 * (one XADD inside a MULTI ingest sends anyway). Bounded: the queued write trims the stream to
 * the retention window (MINID) and sets its TTL to that window; outcome writes use NOMKSTREAM,
 * so they never create a ledger without a TTL (a deleted camera's, a test's own frames).
 */
export type FrameOutcome = 'committed' | 'dropped' | 'failed';
export type LedgerEvent = 'queued' | FrameOutcome;
/** The outcomes written into the ledger itself (a commit is the frame's history entry). */
export type LedgerOutcome = Exclude<FrameOutcome, 'committed'>;

/** Reasons a frame is dropped (it was fine, but is not processed) or failed (it could not be). */
export const LedgerReason = {
  /** Ingest took the waiting frame back to make room for a newer one (latest wins). */
  replaced: 'replaced_by_newer',
  cameraDeleted: 'camera_deleted',
  /** Its bytes were gone (frame TTL) before a worker took it. */
  expired: 'expired',
  corrupt: 'corrupt',
  /** Inference, S3 or Redis errors on every try. */
  outOfTries: 'out_of_tries',
  /** The job could not be added (Redis refused): ingest's publish threw. */
  enqueueFailed: 'enqueue_failed',
} as const;

export interface LedgerEntry {
  /** Stream id; its first part is Redis's clock when the entry was written. */
  id: string;
  at: number;
  frameId: string;
  event: LedgerEvent;
  reason: string | null;
  /** A batched frame's `queued` names its batch (the job to look up while the frame has no outcome). */
  batchId: string | null;
}

/**
 * Adds `queued` to a MULTI/pipeline; the ledger is created if needed and trimmed to `retentionMs`.
 * With `refreshTtl` (the default) the key's TTL is set to `retentionMs` as well: a camera that
 * stops sending loses its ledger that long after its last frame. A writer that knows it set the
 * TTL recently may skip it (one command less per frame; the stream never empties, so it keeps it).
 */
export function ledgerQueued(tx: ChainableCommander, keys: RedisKeys, cameraId: string, frameId: string, retentionMs: number, now = Date.now(), refreshTtl = true, batchId?: string): ChainableCommander {
  const key = keys.frameLedger(cameraId);
  const minId = String(Math.max(0, now - retentionMs));
  tx.xadd(key, 'MINID', '~', minId, '*', 'f', frameId, 'e', 'queued', ...(batchId ? ['b', batchId] : []));
  return refreshTtl ? tx.pexpire(key, retentionMs) : tx;
}

/** Adds a frame's outcome to a MULTI/pipeline. Written only into an existing ledger (ingest's). */
export function ledgerOutcome(tx: ChainableCommander, keys: RedisKeys, cameraId: string, frameId: string, outcome: LedgerOutcome, reason: string): ChainableCommander {
  return tx.xadd(keys.frameLedger(cameraId), 'NOMKSTREAM', '*', 'f', frameId, 'e', outcome, 'r', reason);
}

/** Writes one outcome on its own (paths that have no MULTI of their own: failures, drops). */
export async function recordOutcome(redis: Redis, keys: RedisKeys, cameraId: string, frameId: string, outcome: LedgerOutcome, reason: string): Promise<void> {
  const results = await ledgerOutcome(redis.multi(), keys, cameraId, frameId, outcome, reason).exec();
  for (const [err] of results ?? []) if (err) throw err;
}

/** The camera's ledger entries written at or after `since` (ms), or after the entry `afterId`; oldest first. */
export async function readLedger(redis: Redis, keys: RedisKeys, cameraId: string, from: { since?: number; afterId?: string } = {}): Promise<LedgerEntry[]> {
  const key = keys.frameLedger(cameraId);
  const entries: LedgerEntry[] = [];
  for (let start = from.afterId ? `(${from.afterId}` : String(from.since ?? 0); ; ) {
    const page = await redis.xrange(key, start, '+', 'COUNT', 5000);
    for (const [id, fields] of page) entries.push(parseLedgerEntry(id, fields));
    if (page.length < 5000) return entries;
    start = `(${page[page.length - 1]![0]}`;
  }
}

/**
 * The camera's committed frames as ledger entries (`committed`, at = the summary's processedAt):
 * its history stream's entries filed at or after `since` (ms of capture time), or after the
 * entry `afterId`; oldest first.
 */
export async function readCommitted(redis: Redis, keys: RedisKeys, cameraId: string, from: { since?: number; afterId?: string } = {}): Promise<LedgerEntry[]> {
  const key = keys.frameSummaries(cameraId);
  const entries: LedgerEntry[] = [];
  for (let start = from.afterId ? `(${from.afterId}` : String(from.since ?? 0); ; ) {
    const page = await redis.xrange(key, start, '+', 'COUNT', 5000);
    for (const [id, fields] of page) {
      const summary = parseSummaryFields(fields);
      if (summary) entries.push({ id, at: summary.processedAt, frameId: summary.frameId, event: 'committed', reason: null, batchId: null });
    }
    if (page.length < 5000) return entries;
    start = `(${page[page.length - 1]![0]}`;
  }
}

/** A history stream entry's summary (its `json` field); null if it has none or it does not parse. */
export function parseSummaryFields(fields: string[]): FrameSummary | null {
  const i = fields.indexOf('json');
  if (i < 0 || i + 1 >= fields.length) return null;
  try {
    return JSON.parse(fields[i + 1]!) as FrameSummary;
  } catch {
    return null;
  }
}

/** Everything the ledger and the history say about the camera's frames (since `since` ms), in time order. */
export async function readFrameEvents(redis: Redis, keys: RedisKeys, cameraId: string, since = 0): Promise<LedgerEntry[]> {
  const [ledger, committed] = await Promise.all([readLedger(redis, keys, cameraId, { since }), readCommitted(redis, keys, cameraId, { since })]);
  return [...ledger, ...committed].sort((a, b) => a.at - b.at);
}

export function parseLedgerEntry(id: string, fields: string[]): LedgerEntry {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
  return { id, at: Number(id.split('-')[0]), frameId: map.f ?? '', event: (map.e ?? 'queued') as LedgerEvent, reason: map.r ?? null, batchId: map.b ?? null };
}

/** Camera ids that have a ledger (a deleted camera's stays until it expires). */
export function ledgerCameraId(keys: RedisKeys, key: string): string | null {
  const m = key.match(/:cam:\{([^}]*)\}:ledger$/);
  return key.startsWith(`${keys.prefix}:`) && m ? m[1]! : null;
}
