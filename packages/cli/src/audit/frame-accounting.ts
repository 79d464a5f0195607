import type { AlertRecord, LedgerEntry } from '@riverwatch/common';

/** A frame's BullMQ job as the audit found it (for frames the ledger gives no outcome yet). */
export interface JobInfo {
  state: string;
  failedReason?: string;
}

/** Job states in which the frame is still on its way: reported as in flight, not lost. */
const IN_FLIGHT_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export type ProblemKind = 'lost' | 'two_states' | 'duplicate_commit' | 'duplicate_alert' | 'missing_evidence';

export interface AuditProblem {
  kind: ProblemKind;
  cameraId: string;
  frameId?: string;
  alertId?: string;
  detail: string;
}

export interface FrameCounts {
  queued: number;
  committed: number;
  dropped: number;
  failed: number;
  inFlight: number;
  lost: number;
  inTwoStates: number;
  /** Outcomes of frames queued before the window (or not by ingest): not counted above. */
  outcomesWithoutQueued: number;
}

export interface CameraAccount {
  counts: FrameCounts;
  dropReasons: Record<string, number>;
  failReasons: Record<string, number>;
  duplicateCommits: number;
  problems: AuditProblem[];
  /** Frames with no outcome in the ledger: the caller looks their jobs up (`jobs`). */
  unresolved: string[];
}

export function emptyCounts(): FrameCounts {
  return { queued: 0, committed: 0, dropped: 0, failed: 0, inFlight: 0, lost: 0, inTwoStates: 0, outcomesWithoutQueued: 0 };
}

const bump = (m: Record<string, number>, k: string) => void (m[k] = (m[k] ?? 0) + 1);

/**
 * One camera's frames from its ledger: each frame queued in the window must have exactly one
 * outcome. A frame with none is looked up in `jobs`: still in the queue → in flight; failed
 * there (its ledger write lost) → failed; anything else (completed with no commit, gone) → lost.
 * A frame committed twice is a duplicate; one with two different outcomes is in two states.
 * The same drop or failure written twice (a retried write) counts once.
 */
export function accountFrames(cameraId: string, entries: LedgerEntry[], jobs: ReadonlyMap<string, JobInfo> = new Map()): CameraAccount {
  const frames = new Map<string, { queued: boolean; outcomes: LedgerEntry[] }>();
  for (const e of entries) {
    let f = frames.get(e.frameId);
    if (!f) frames.set(e.frameId, (f = { queued: false, outcomes: [] }));
    if (e.event === 'queued') f.queued = true;
    else f.outcomes.push(e);
  }
  const account: CameraAccount = { counts: emptyCounts(), dropReasons: {}, failReasons: {}, duplicateCommits: 0, problems: [], unresolved: [] };
  const { counts } = account;
  for (const [frameId, f] of frames) {
    if (!f.queued) {
      counts.outcomesWithoutQueued++;
      continue;
    }
    counts.queued++;
    const commits = f.outcomes.filter((o) => o.event === 'committed').length;
    if (commits > 1) {
      account.duplicateCommits += commits - 1;
      account.problems.push({ kind: 'duplicate_commit', cameraId, frameId, detail: `committed ${commits} times` });
    }
    const states = new Set(f.outcomes.map((o) => (o.event === 'committed' ? 'committed' : `${o.event}:${o.reason ?? ''}`)));
    if (states.size > 1) {
      counts.inTwoStates++;
      account.problems.push({ kind: 'two_states', cameraId, frameId, detail: [...states].join(' and ') });
      continue;
    }
    const outcome = f.outcomes[0];
    if (outcome) {
      countOutcome(account, outcome.event, outcome.reason);
      continue;
    }
    const job = jobs.get(frameId);
    if (!job) {
      account.unresolved.push(frameId);
      counts.inFlight++; // until the caller says otherwise; see resolveWithJobs
    } else if (IN_FLIGHT_STATES.has(job.state)) {
      counts.inFlight++;
    } else if (job.state === 'failed') {
      countOutcome(account, 'failed', `job_failed: ${job.failedReason ?? 'no reason'}`);
    } else {
      counts.lost++;
      account.problems.push({ kind: 'lost', cameraId, frameId, detail: `queued, no outcome in the ledger, job ${job.state}` });
    }
  }
  return account;
}

function countOutcome(account: CameraAccount, event: LedgerEntry['event'], reason: string | null): void {
  if (event === 'committed') account.counts.committed++;
  else if (event === 'dropped') {
    account.counts.dropped++;
    bump(account.dropReasons, reason ?? 'no reason');
  } else if (event === 'failed') {
    account.counts.failed++;
    bump(account.failReasons, reason ?? 'no reason');
  }
}

/**
 * Alerts of one camera and type that were open at the same time: the worker keeps one open
 * alert per camera and type, so an overlap is a duplicate. Open = [openedAt, resolvedAt).
 */
export function duplicateAlerts(alerts: AlertRecord[]): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const groups = new Map<string, AlertRecord[]>();
  for (const a of alerts) {
    const k = `${a.cameraId}\u0000${a.type}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  for (const group of groups.values()) {
    group.sort((a, b) => a.openedAt - b.openedAt);
    let open = group[0]!;
    for (const next of group.slice(1)) {
      if (next.openedAt < (open.resolvedAt ?? Infinity)) {
        problems.push({ kind: 'duplicate_alert', cameraId: next.cameraId, alertId: next.id, detail: `${next.type} alert opened while ${open.id} was still open` });
      }
      if ((next.resolvedAt ?? Infinity) > (open.resolvedAt ?? Infinity)) open = next;
    }
  }
  return problems;
}
