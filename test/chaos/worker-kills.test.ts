import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { freePort } from '@riverwatch/local-infra';
import { createTestContext, inferenceAt, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';
import { NOTHING_LOST, SCENARIO_TIMEOUT_MS, ServiceProcesses, committedFrames, lossAndDuplication, printFigure, scaled, settledAudit } from '../support/chaos.ts';

const ADMIN_KEY = 'rw_admin_chaos_worker_kills_0123456789';
const KILLS = scaled(2, 5);
const CAMERAS = 3;

/**
 * Two workers under a steady multi-camera feed; one of them is killed with SIGKILL (frames in
 * its hands), restarted, then the other, KILLS times in a row. What must hold (the audit): every
 * frame ingest queued is committed, dropped or failed with a reason; none lost, none twice.
 */
describe('chaos: workers killed again and again', () => {
  let ctx: TestContext | undefined;
  let core: Stack | undefined;
  let ingest: Stack | undefined;
  let procs: ServiceProcesses | undefined;

  afterAll(async () => {
    await procs?.stopAll();
    await ingest?.stop();
    await core?.stop();
    await ctx?.cleanup();
  });

  it(`${KILLS} SIGKILLs of alternating workers lose and duplicate nothing`, async () => {
    ctx = await createTestContext({
      RIVERWATCH_ADMIN_KEY: ADMIN_KEY,
      MODEL_REPOSITORY: `${repoRoot}models`,
      HOST: '127.0.0.1',
      ...inferenceAt(await freePort()),
      // A dead worker's frames are taken up once their lock lapses.
      WORKER_LOCK_MS: '2000',
      WORKER_CONCURRENCY: '2',
    });
    core = await runStack({ services: ['inference', 'api'], env: ctx.env });
    procs = new ServiceProcesses(ctx.env);
    const workers = [await procs.start('worker'), await procs.start('worker')];
    ingest = await runStack({ services: ['ingest'], env: ctx.env });
    const base = apiBase(core);
    const cameras: string[] = [];
    for (let i = 0; i < CAMERAS; i++) cameras.push(await addClipCamera(base, ADMIN_KEY, `Chaos river ${i}`, 2));

    let committed = 0;
    const progress = async () => {
      const before = committed;
      await expect.poll(() => committedFrames(ctx!, cameras), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(before + 4);
      committed = await committedFrames(ctx!, cameras);
    };
    for (let kill = 0; kill < KILLS; kill++) {
      await progress();
      const victim = workers[kill % 2]!;
      victim.child.kill('SIGKILL');
      expect((await victim.exited).signal).toBe('SIGKILL');
      workers[kill % 2] = await procs.start('worker');
    }
    await progress();
    await ingest.stop();
    ingest = undefined;

    const report = await settledAudit(ctx);
    printFigure('worker SIGKILL x' + KILLS, { frames: report.frames, dropReasons: report.dropReasons, failReasons: report.failReasons, duplicates: report.duplicates });
    expect(report.frames.inFlight).toBe(0);
    expect(lossAndDuplication(report)).toEqual(NOTHING_LOST);
    expect(report.frames.committed).toBeGreaterThanOrEqual(4 * (KILLS + 1));
    expect(report.frames.committed + report.frames.dropped + report.frames.failed).toBe(report.frames.queued);
  }, SCENARIO_TIMEOUT_MS);
});
