import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intraOpThreads } from '../../services/inference/src/intra-op-threads.ts';
import { repoRoot, runCli, type CliRun } from '../support/cli.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

interface Started {
  ready: { intraOpThreads: number; intraOpThreadsFrom: string; metricsPort: number };
  loaded: { model: string; instances: number };
  /** OS threads of the server process once it is ready. */
  tasks: number;
  metrics: string;
}

/**
 * `riverwatch start --services inference` as an operator runs it, over one model (water-seg, one
 * instance, so one onnxruntime session): INFERENCE_INTRA_OP_THREADS reaches onnxruntime (a session
 * of N intra-op threads runs on its own thread plus N - 1 pool threads, so the process's OS threads
 * tell), and unset it is the CPUs this process may use, not the machine's; INFERENCE_INSTANCES
 * gives the model more sessions.
 */
describe('onnxruntime intra-op threads and instances of the inference service', () => {
  let ctx: TestContext;
  const repository = mkdtempSync(join(tmpdir(), 'rw-threads-'));
  const runs: CliRun[] = [];

  beforeAll(async () => {
    cpSync(join(repoRoot, 'models/water-seg'), join(repository, 'water-seg'), { recursive: true });
    ctx = await createTestContext({ MODEL_REPOSITORY: repository, LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await ctx?.cleanup();
    rmSync(repository, { recursive: true, force: true });
  });

  async function start(threads: string | undefined, more: Record<string, string> = {}): Promise<Started> {
    const env = { ...ctx.env, ...(threads === undefined ? {} : { INFERENCE_INTRA_OP_THREADS: threads }), ...more };
    const run = runCli(['start', '--services', 'inference'], env);
    runs.push(run);
    const [line] = await run.waitFor(/\{[^\n]*"msg":"inference server ready"[^\n]*\}/, 90_000);
    const ready = JSON.parse(line) as Started['ready'];
    const loaded = JSON.parse(run.output().match(/\{[^\n]*"msg":"model loaded"[^\n]*\}/)![0]) as Started['loaded'];
    // Threads started lazily after "ready" (none are expected) would show as a difference between runs.
    await new Promise((r) => setTimeout(r, 1000));
    const tasks = readdirSync(`/proc/${run.child.pid}/task`).length;
    const metrics = await (await fetch(`http://127.0.0.1:${ready.metricsPort}/metrics`)).text();
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    return { ready, loaded, tasks, metrics };
  }
  /** The one-thread server, the baseline of both thread counts (started once). */
  let oneThread: Promise<Started> | undefined;
  const withOneThread = () => (oneThread ??= start('1'));

  it('INFERENCE_INTRA_OP_THREADS sets each session\'s threads: in the ready log, in /metrics, and 3 more OS threads at 4 than at 1', async () => {
    const one = await withOneThread();
    const four = await start('4');
    expect(one.ready).toMatchObject({ intraOpThreads: 1, intraOpThreadsFrom: 'INFERENCE_INTRA_OP_THREADS' });
    expect(four.ready).toMatchObject({ intraOpThreads: 4, intraOpThreadsFrom: 'INFERENCE_INTRA_OP_THREADS' });
    expect(one.metrics).toMatch(/^riverwatch_inference_intra_op_threads 1$/m);
    expect(four.metrics).toMatch(/^riverwatch_inference_intra_op_threads 4$/m);
    expect(four.tasks - one.tasks).toBe(3);
  }, 240_000);

  it('unset, it is the CPUs this process may use (cgroup quota, affinity), and onnxruntime gets exactly that', async () => {
    const expected = intraOpThreads(0); // this machine, read the same way the server reads it
    const one = await withOneThread();
    const auto = await start(undefined);
    expect(auto.ready).toMatchObject({ intraOpThreads: expected.threads, intraOpThreadsFrom: expected.from });
    expect(auto.tasks - one.tasks).toBe(expected.threads - 1);
  }, 240_000);

  it('INFERENCE_INSTANCES gives a model whose config.json does not set `instances` that many sessions, each on a thread of its own', async () => {
    const one = await withOneThread();
    const two = await start('1', { INFERENCE_INSTANCES: '2' });
    expect(one.loaded).toMatchObject({ model: 'water-seg', instances: 1 });
    expect(two.loaded).toMatchObject({ model: 'water-seg', instances: 2 });
    expect(two.tasks).toBeGreaterThan(one.tasks);
  }, 240_000);

  it('a count that is not a whole number from 0 to 256 stops start-up with a message naming the variable', async () => {
    const run = runCli(['start', '--services', 'inference'], { ...ctx.env, INFERENCE_INTRA_OP_THREADS: 'lots' });
    runs.push(run);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.output()).toMatch(/INFERENCE_INTRA_OP_THREADS/);
  }, 60_000);
});
