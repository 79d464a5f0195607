import { describe, expect, it } from 'vitest';
import type { AlertRecord, LedgerEntry } from '@riverwatch/common';
import { accountFrames, duplicateAlerts } from './frame-accounting.ts';

let seq = 0;
const entry = (frameId: string, event: LedgerEntry['event'], reason: string | null = null): LedgerEntry => {
  seq++;
  return { id: `${1000 + seq}-0`, at: 1000 + seq, frameId, event, reason, batchId: null };
};

describe('accountFrames', () => {
  it('counts each queued frame by its one outcome, with reasons', () => {
    const account = accountFrames('cam', [
      entry('a', 'queued'),
      entry('b', 'queued'),
      entry('c', 'queued'),
      entry('d', 'queued'),
      entry('a', 'committed'),
      entry('b', 'dropped', 'replaced_by_newer'),
      entry('c', 'failed', 'corrupt'),
      entry('d', 'dropped', 'camera_deleted'),
    ]);
    expect(account.counts).toMatchObject({ queued: 4, committed: 1, dropped: 2, failed: 1, inFlight: 0, lost: 0, inTwoStates: 0 });
    expect(account.dropReasons).toEqual({ replaced_by_newer: 1, camera_deleted: 1 });
    expect(account.failReasons).toEqual({ corrupt: 1 });
    expect(account.problems).toEqual([]);
  });

  it('a frame with no outcome is in flight while its job is queued, failed if the queue failed it, else lost', () => {
    const entries = ['w', 'a', 'f', 'gone', 'done'].map((id) => entry(id, 'queued'));
    const first = accountFrames('cam', entries);
    expect(first.unresolved).toEqual(['w', 'a', 'f', 'gone', 'done']);
    const jobs = new Map([
      ['w', { state: 'waiting' }],
      ['a', { state: 'active' }],
      ['f', { state: 'failed', failedReason: 'stalled' }],
      ['gone', { state: 'unknown' }],
      ['done', { state: 'completed' }],
    ]);
    const account = accountFrames('cam', entries, jobs);
    expect(account.counts).toMatchObject({ queued: 5, inFlight: 2, failed: 1, lost: 2 });
    expect(account.failReasons).toEqual({ 'job_failed: stalled': 1 });
    expect(account.problems.map((p) => [p.kind, p.frameId])).toEqual([
      ['lost', 'gone'],
      ['lost', 'done'],
    ]);
  });

  it('a frame committed twice is a duplicate; one dropped and committed is in two states', () => {
    const account = accountFrames('cam', [
      entry('a', 'queued'),
      entry('a', 'committed'),
      entry('a', 'committed'),
      entry('b', 'queued'),
      entry('b', 'dropped', 'replaced_by_newer'),
      entry('b', 'committed'),
    ]);
    expect(account.duplicateCommits).toBe(1);
    expect(account.counts).toMatchObject({ queued: 2, committed: 1, inTwoStates: 1 });
    expect(account.problems.map((p) => p.kind).sort()).toEqual(['duplicate_commit', 'two_states']);
  });

  it('the same failure written twice counts once; outcomes of frames queued before the window are set apart', () => {
    const account = accountFrames('cam', [entry('old', 'committed'), entry('a', 'queued'), entry('a', 'failed', 'expired'), entry('a', 'failed', 'expired')]);
    expect(account.counts).toMatchObject({ queued: 1, failed: 1, outcomesWithoutQueued: 1, inTwoStates: 0 });
    expect(account.problems).toEqual([]);
  });
});

describe('duplicateAlerts', () => {
  const alert = (id: string, type: AlertRecord['type'], openedAt: number, resolvedAt: number | null, cameraId = 'cam') =>
    ({ id, cameraId, type, openedAt, resolvedAt }) as AlertRecord;

  it('flags a second alert of a camera and type opened while the first was open', () => {
    const problems = duplicateAlerts([alert('a1', 'debris', 100, 200), alert('a2', 'debris', 150, null), alert('a3', 'debris', 300, null)]);
    expect(problems.map((p) => p.alertId)).toEqual(['a2', 'a3']);
  });

  it('alerts one after another, of other types or other cameras are fine', () => {
    expect(duplicateAlerts([alert('a1', 'debris', 100, 200), alert('a2', 'debris', 200, null), alert('a3', 'accumulation', 150, null), alert('a4', 'debris', 150, null, 'other')])).toEqual([]);
  });
});
