import {
  DEFAULT_ALERT_RULES,
  RecentMap,
  cameraDefaults,
  readCachedWaterMaskInfo,
  readCachedWaterMaskPng,
  writeCachedWaterMask,
  type CachedWaterMask,
  type CachedWaterMaskInfo,
  type CameraConfig,
  type FrameSummary,
  type LiveFrame,
  type Redis,
  type RedisKeys,
} from '@riverwatch/common';
import { emptyRuleState, type AlertRuleState } from '../alerts/alert-rules.ts';
import type { HeldAlertUpdates } from '../alerts/alert-service.ts';
import { emptyTrackerState, type TrackerState } from '../tracking/debris-tracker.ts';

/** What the worker remembers about a camera between frames. */
export interface CameraMemory {
  lastSeq: number;
  lastCapturedAt: number;
  /**
   * The newest capture time of any frame committed: a frame captured after it cannot have been
   * committed before, so only frames at or before it are looked up in the history (isCommitted).
   */
  committedUpTo: number;
  tracker: TrackerState;
  rules: AlertRuleState;
  /** Tiny greyscale thumbnail of the previous frame (base64), for frozen-view checks. */
  lastThumb: string | null;
  frozenFrames: number;
  /** When a commit last set the live frame's TTL: it is refreshed every few minutes, not every frame. */
  liveTtlSetAt: number;
  /** What frames added to the camera's open alerts since their records were last written. */
  alertUpdates: HeldAlertUpdates;
}

function freshMemory(): CameraMemory {
  return { lastSeq: -1, lastCapturedAt: 0, committedUpTo: 0, tracker: emptyTrackerState(), rules: emptyRuleState(), lastThumb: null, frozenFrames: 0, liveTtlSetAt: 0, alertUpdates: {} };
}

type ConfigDefaults = { detectorModel: string; segmenterModel: string };

/** A camera's stored config (JSON) over the defaults; the defaults alone for an upload. */
function withDefaults(cameraId: string, json: string | null, defaults: ConfigDefaults): CameraConfig {
  const stored = json ? (JSON.parse(json) as Partial<CameraConfig>) : {};
  return {
    id: cameraId,
    name: cameraId,
    sourceUrl: '',
    ...cameraDefaults(),
    detectorModel: defaults.detectorModel,
    segmenterModel: defaults.segmenterModel,
    createdAt: 0,
    updatedAt: 0,
    ...stored,
    rules: { ...DEFAULT_ALERT_RULES, ...(stored.rules ?? {}) },
  };
}

/** How stale the config that picks a frame's models and tiles may be: an edit reaches them within this. */
const CONFIG_CACHE_MS = 5000;
const MAX_CACHED_CONFIGS = 4096;

/** Frames from POST /v1/detect belong to no configured camera. */
export const UPLOAD_CAMERA_ID = 'upload';

/** Redis access for camera config, worker memory, water masks and summaries. */
export class CameraStore {
  private readonly configs = new RecentMap<string, { at: number; config: CameraConfig }>(MAX_CACHED_CONFIGS);

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly summaryRetentionMs: number,
  ) {}

  /**
   * The camera's config for choosing its models and tiles before inference: read from Redis at
   * most every CONFIG_CACHE_MS per camera (a frame's rules, zones and existence come from
   * readUnderLock(), always fresh). Null for a camera that does not exist (deleted).
   */
  async config(cameraId: string, defaults: ConfigDefaults): Promise<CameraConfig | null> {
    if (cameraId === UPLOAD_CAMERA_ID) return withDefaults(cameraId, null, defaults);
    const hit = this.configs.get(cameraId);
    if (hit && Date.now() - hit.at < CONFIG_CACHE_MS) return hit.config;
    return this.remember(cameraId, await this.redis.get(this.keys.camera(cameraId)), defaults);
  }

  /**
   * What a frame's commit starts from, in one command under the camera's lock: the camera's
   * config (null: deleted, since the API deletes the config first) and its memory.
   */
  async readUnderLock(cameraId: string, defaults: ConfigDefaults): Promise<{ config: CameraConfig | null; memory: CameraMemory }> {
    // One MGET: both keys carry the camera's hash tag (one slot on a cluster).
    const [config, json] = await this.redis.mget(this.keys.camera(cameraId), this.keys.tracker(cameraId));
    const memory = json ? { ...freshMemory(), ...(JSON.parse(json) as CameraMemory) } : freshMemory();
    // A memory written before committedUpTo existed: its last capture time was committed.
    memory.committedUpTo = Math.max(memory.committedUpTo, memory.lastCapturedAt);
    return { config: this.remember(cameraId, config ?? null, defaults), memory };
  }

  private remember(cameraId: string, json: string | null, defaults: ConfigDefaults): CameraConfig | null {
    const config = json ? withDefaults(cameraId, json, defaults) : null;
    if (config) this.configs.set(cameraId, { at: Date.now(), config });
    else this.configs.delete(cameraId);
    return config;
  }

  waterMaskInfo(cameraId: string): Promise<CachedWaterMaskInfo | null> {
    return readCachedWaterMaskInfo(this.redis, this.keys, cameraId);
  }

  waterMaskPng(cameraId: string): Promise<Buffer | null> {
    return readCachedWaterMaskPng(this.redis, this.keys, cameraId);
  }

  saveWaterMask(cameraId: string, mask: CachedWaterMask): Promise<void> {
    return writeCachedWaterMask(this.redis, this.keys, cameraId, mask);
  }

  /**
   * Commits a frame in one script (atomic, one round trip), under the camera's lock taken with
   * lock(): its summary into the camera's history stream (which is also the frame's `committed`
   * for the audit), the camera's memory (tracker, rules) and its live frame when given. The
   * lock is released by the same script, and nothing is written if the lock is no longer this
   * caller's ('lock_lost': it expired and another worker took it) or the history write fails.
   * Whether the frame was committed before is the caller's to ask first (isCommitted), under
   * the same lock.
   *
   * Stream ids come from capture time, so history queries are a range read ('-*' lets Redis
   * pick the sequence). A stream id must grow, so a late frame (committed after a newer one:
   * parallel workers, a retry) is filed at `committedUpTo`, the newest capture time committed
   * so far; its JSON keeps its own capturedAt.
   */
  async commitFrame(
    cameraId: string,
    token: string,
    summary: FrameSummary,
    committedUpTo: number,
    state: { memory?: CameraMemory; live?: LiveFrame; liveTtlSeconds?: number } = {},
  ): Promise<CommitOutcome> {
    const fileAt = Math.max(1, summary.capturedAt, committedUpTo);
    const minId = Math.max(0, fileAt - this.summaryRetentionMs);
    const { jpeg, ...liveMeta } = state.live ?? { jpeg: Buffer.alloc(0) };
    const k = this.keys;
    const outcome = await commitScript(this.redis)(
      k.cameraLock(cameraId),
      k.tracker(cameraId),
      k.liveFrame(cameraId),
      k.frameSummaries(cameraId),
      token,
      state.memory ? JSON.stringify(state.memory) : '',
      String(MEMORY_TTL_SECONDS),
      jpeg,
      state.live ? JSON.stringify(liveMeta) : '',
      String(state.liveTtlSeconds ?? 0),
      String(minId),
      `${fileAt}-*`,
      JSON.stringify(summary),
    );
    return String(outcome) as CommitOutcome;
  }

  /**
   * Whether the frame's summary is in the camera's history: it was committed. Filed at its
   * capture time or later (a late frame, at the newest capture time then), so the history is
   * read from its capture time on; a re-delivered frame is rare and recent, so this is short.
   */
  async isCommitted(cameraId: string, frameId: string, capturedAt: number): Promise<boolean> {
    const key = this.keys.frameSummaries(cameraId);
    const needle = `"frameId":${JSON.stringify(frameId)}`;
    for (let start = String(capturedAt); ; ) {
      const page = await this.redis.xrange(key, start, '+', 'COUNT', HISTORY_PAGE);
      if (page.some(([, fields]) => fields[1]?.includes(needle))) return true;
      if (page.length < HISTORY_PAGE) return false;
      start = `(${page.at(-1)![0]}`;
    }
  }

  /** True while the camera is configured (the API deletes the config first when a camera is deleted). */
  async exists(cameraId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.camera(cameraId))) === 1;
  }

  /** A deleted camera's live state: latest summary and frame, history stream, tracker and rule memory, cached mask. */
  async forget(cameraId: string): Promise<void> {
    // One hash tag: one DEL, one slot, on a cluster too.
    await this.redis.del(this.keys.frameSummaries(cameraId), this.keys.liveFrame(cameraId), this.keys.tracker(cameraId), this.keys.waterMask(cameraId), this.keys.reviewThrottle(cameraId));
  }

  /**
   * Takes the camera's lock (one SET NX, retried while another worker holds it): one camera's
   * frames update the tracker and rules one at a time. Returns the token commitFrame() and
   * unlock() need.
   */
  async lock(cameraId: string, ttlMs = LOCK_TTL_MS): Promise<string> {
    const key = this.keys.cameraLock(cameraId);
    const token = `${process.pid}-${Math.random()}`;
    const deadline = Date.now() + ttlMs * 2;
    while ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`camera ${cameraId} lock not acquired within ${ttlMs * 2} ms`);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
    return token;
  }

  /** Releases the lock if it is still this token's (it may have expired and been taken by another worker). */
  async unlock(cameraId: string, token: string): Promise<void> {
    await this.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, this.keys.cameraLock(cameraId), token);
  }

  /** Runs fn under the camera's lock (paths other than the frame commit, which releases the lock itself). */
  async withLock<T>(cameraId: string, fn: () => Promise<T>, ttlMs = LOCK_TTL_MS): Promise<T> {
    const token = await this.lock(cameraId, ttlMs);
    try {
      return await fn();
    } finally {
      await this.unlock(cameraId, token);
    }
  }
}

export type CommitOutcome = 'committed' | 'lock_lost';

const LOCK_TTL_MS = 10_000;
const HISTORY_PAGE = 200;
/** A camera's memory outlives a pause of its stream by a day. */
const MEMORY_TTL_SECONDS = 24 * 3600;

/**
 * KEYS: lock, memory, live frame, history stream.
 * ARGV: token, memory ('' = unchanged), memory TTL, live JPEG, live JSON ('' = no live frame),
 * live TTL ('0' = keep the key's), history MINID, history id, summary. The lock is checked
 * first and the history XADD (the one write that can fail: an id below the stream's top) runs
 * before any other write, so a failure leaves nothing behind (the caller then releases the lock).
 */
const COMMIT_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lock_lost' end
local added = redis.pcall('XADD', KEYS[4], 'MINID', '~', ARGV[7], ARGV[8], 'json', ARGV[9])
if type(added) == 'table' and added.err then return redis.error_reply(added.err) end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[3], 'jpeg', ARGV[4], 'json', ARGV[5])
  if ARGV[6] ~= '0' then redis.call('EXPIRE', KEYS[3], ARGV[6]) end
end
redis.call('DEL', KEYS[1])
return 'committed'
`;

type CommitCommand = (...args: (string | Buffer)[]) => Promise<unknown>;

/** The commit script as an ioredis command (EVALSHA, loaded on first use), defined once per client. */
function commitScript(redis: Redis): CommitCommand {
  const named = redis as unknown as { rwCommitFrame?: CommitCommand };
  if (!named.rwCommitFrame) redis.defineCommand('rwCommitFrame', { numberOfKeys: 4, lua: COMMIT_LUA });
  return named.rwCommitFrame!.bind(redis);
}
