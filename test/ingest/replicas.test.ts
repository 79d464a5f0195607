import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../support/context.ts';
import { alive } from '../support/processes.ts';
import { cameraConfig, ffmpegChildrenOf, ingestTestContext, putCamera, readStatus, repoRoot, testClip, waitFor } from './helpers.ts';

const LEASE_MS = 2000;
const SYNC_MS = 300;
const CAMERAS = ['cam_r1', 'cam_r2', 'cam_r3', 'cam_r4'];

/**
 * Two ingest replicas as real processes (`riverwatch start --services ingest`)
 * share four cameras through Redis leases. One is SIGKILLed: the other must
 * take over every camera once the dead one's leases expire.
 */
describe('ingest replicas share cameras through leases', () => {
  let t: TestContext;
  const replicas = new Map<string, ChildProcess>();

  function startReplica(id: string): ChildProcess {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/riverwatch.js'), 'start', '--services', 'ingest'], {
      cwd: repoRoot,
      env: { ...process.env, ...t.env, INGEST_REPLICA_ID: id },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', () => {});
    replicas.set(id, child);
    return child;
  }

  const holders = async () => Promise.all(CAMERAS.map((id) => t.redis.get(t.keys.cameraLease(id))));

  beforeAll(async () => {
    ({ t } = await ingestTestContext({ INGEST_LEASE_MS: String(LEASE_MS), INGEST_SYNC_INTERVAL_MS: String(SYNC_MS), LOG_LEVEL: 'warn' }));
    for (const id of CAMERAS) await putCamera(t, cameraConfig(id, pathToFileURL(testClip()).href, { fps: 2, maxWidth: 96 }));
    startReplica('rep-a');
    startReplica('rep-b');
  });

  afterAll(async () => {
    for (const child of replicas.values()) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
    }
    await t?.cleanup();
  });

  it('spreads the cameras fairly: each replica pulls two, every camera exactly once', async () => {
    const spread = await waitFor('two cameras per replica', 30_000, async () => {
      const h = await holders();
      const a = h.filter((x) => x === 'rep-a').length;
      const b = h.filter((x) => x === 'rep-b').length;
      return a === 2 && b === 2 ? h : undefined;
    });
    expect(spread.every((h) => h === 'rep-a' || h === 'rep-b')).toBe(true);
    // Each camera's frames come from the replica that holds its lease.
    await waitFor('frames from the lease holder', 20_000, async () => {
      const h = await holders();
      for (const [i, id] of CAMERAS.entries()) {
        const s = await readStatus(t, id);
        if (s.state !== 'online' || s.replica !== h[i]) return false;
      }
      return true;
    });
    const registry = await t.redis.zrange(t.keys.ingestReplicas(), 0, -1);
    expect(registry.sort()).toEqual(['rep-a', 'rep-b']);
  });

  it('renews a lease once a third of it has passed, not every sync, and keeps it', async () => {
    const key = t.keys.cameraLease(CAMERAS[0]!);
    const holder = await waitFor('the lease held', 30_000, async () => (await t.redis.get(key)) ?? undefined);
    let renewals = 0;
    let minTtl = LEASE_MS;
    let last = await t.redis.pttl(key);
    const until = Date.now() + 2 * LEASE_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      const ttl = await t.redis.pttl(key);
      if (ttl > last) renewals++;
      minTtl = Math.min(minTtl, ttl);
      last = ttl;
    }
    expect(await t.redis.get(key)).toBe(holder);
    expect(minTtl).toBeGreaterThan(0);
    // 2 lease periods are ~13 syncs of 300 ms; a renewal every third of the lease (+ up to one sync) is 4-6.
    expect(renewals).toBeGreaterThanOrEqual(2);
    expect(renewals).toBeLessThanOrEqual(8);
  });

  it('a SIGKILLed replica\'s cameras move to the survivor within one lease period (plus one sync)', async () => {
    const victim = replicas.get('rep-a')!;
    const orphans = ffmpegChildrenOf(victim.pid!).map((l) => Number(l.split(/\s+/)[0]));
    expect(orphans.length).toBe(2);
    const gone = new Promise((r) => victim.once('exit', r));
    victim.kill('SIGKILL');
    await gone;
    const killedAt = Date.now();

    await waitFor('every lease held by rep-b', LEASE_MS + 2 * SYNC_MS + 1000, async () => (await holders()).every((h) => h === 'rep-b'), 50);
    // And actually served: fresh frames from rep-b for every camera.
    await waitFor('fresh frames from rep-b for all cameras', 15_000, async () => {
      for (const id of CAMERAS) {
        const s = await readStatus(t, id);
        if (s.replica !== 'rep-b' || Number(s.lastFrameAt) <= killedAt) return false;
      }
      return true;
    });
    // The dead replica's ffmpeg children do not linger: their pipe is gone, so they exit.
    await waitFor('orphaned ffmpeg gone', 10_000, async () => orphans.every((pid) => !alive(pid)));
  });

  it('the survivor stops cleanly on SIGTERM: leases released, ffmpeg children reaped', async () => {
    const survivor = replicas.get('rep-b')!;
    const children = ffmpegChildrenOf(survivor.pid!).map((l) => Number(l.split(/\s+/)[0]));
    expect(children.length).toBe(4);
    const exit = new Promise<number | null>((r) => survivor.once('exit', (code) => r(code)));
    survivor.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(children.filter(alive)).toEqual([]);
    expect(await holders()).toEqual([null, null, null, null]);
    expect(await t.redis.zrange(t.keys.ingestReplicas(), 0, -1)).toEqual([]);
  });
});
