import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAudit, runStack, type AuditReport, type Stack } from '@riverwatch/cli';
import { freePort, startLocalRedis, type LocalServer } from '@riverwatch/local-infra';
import { repoRoot, runCli, type CliRun } from './cli.ts';
import { createTestContext, type TestContext } from './context.ts';
import { descendants } from './processes.ts';

/**
 * Shared by the chaos suite (test/chaos). `npm run test:chaos` sets CHAOS_SCALE=full: the
 * repetitions and outage lengths the figures in docs/operations.md are measured with.
 * Inside `npm test` the same scenarios run short (fewer kills, shorter outages).
 */
export const CHAOS_FULL = process.env.CHAOS_SCALE === 'full';

export function scaled<T>(short: T, full: T): T {
  return CHAOS_FULL ? full : short;
}

/** One line per scenario that the report and docs/operations.md quote. */
export function printFigure(scenario: string, figures: Record<string, unknown>): void {
  console.log(`[chaos] ${scenario}: ${JSON.stringify({ scale: CHAOS_FULL ? 'full' : 'short', ...figures })}`);
}

/**
 * The pid of a server this test process started (redis-server, the S3 server) that listens on
 * `port`: redis-server shows `redis-server 127.0.0.1:PORT`, s3rver its `--port PORT` argument.
 */
export function serverPid(port: number): number {
  const found = descendants(process.pid).find((p) => new RegExp(`(:|--port )${port}(\\s|$)`).test(p.args));
  if (!found) throw new Error(`no child process of this test listens on port ${port}`);
  return found.pid;
}

/** Freezes (SIGSTOP) a process for the duration of `during`, and always thaws it. */
export async function frozen<T>(pid: number, during: () => Promise<T>): Promise<T> {
  process.kill(pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** `riverwatch start --services <role>` as child processes, the way a deployment runs them. */
export class ServiceProcesses {
  readonly runs: CliRun[] = [];

  constructor(private readonly env: Record<string, string>) {}

  async start(service: string, extraEnv: Record<string, string> = {}): Promise<CliRun> {
    const run = runCli(['start', '--services', service], { ...this.env, LOG_LEVEL: 'info', ...extraEnv });
    this.runs.push(run);
    await run.waitFor(/"msg":"service started"/, 120_000);
    return run;
  }

  /** Kills what is still running (thawing any frozen one first). */
  async stopAll(): Promise<void> {
    for (const { child, exited } of this.runs) {
      if (child.exitCode !== null || child.signalCode === 'SIGKILL') continue;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

export function audit(ctx: TestContext, cameraId?: string): Promise<AuditReport> {
  return runAudit({ redis: ctx.redis, keys: ctx.keys, store: ctx.store, cameraId });
}

/**
 * The audit once nothing is in flight any more (ingest stopped first): every frame then has
 * its outcome. Frames a killed worker held wait for their lock to lapse before they are done.
 */
export async function settledAudit(ctx: TestContext, timeoutMs = 90_000): Promise<AuditReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await audit(ctx);
    if (report.frames.inFlight === 0 || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Frames committed so far, over the cameras (their history streams). */
export async function committedFrames(ctx: TestContext, cameraIds: string[]): Promise<number> {
  const lengths = await Promise.all(cameraIds.map((id) => ctx.redis.xlen(ctx.keys.frameSummaries(id))));
  return lengths.reduce((a, b) => a + b, 0);
}

/** The lost / duplicated part of an audit, for one assertion with a readable diff. */
export function lossAndDuplication(r: AuditReport) {
  return { lost: r.frames.lost, inTwoStates: r.frames.inTwoStates, ...r.duplicates, missingEvidence: r.alerts.missingEvidence };
}

export const NOTHING_LOST = { lost: 0, inTwoStates: 0, commits: 0, alerts: 0, missingEvidence: 0 };

/** A chaos scenario's time limit: the services start, fault and recover several times. */
export const SCENARIO_TIMEOUT_MS = scaled(240_000, 600_000);

/**
 * A redis-server of the scenario's own (it is killed, frozen, restarted), a test context on it
 * and the whole pipeline (inference, worker, ingest, api) in this process on the shipped models.
 */
export class OwnRedisPipeline {
  private constructor(
    private readonly dataDir: string,
    readonly port: number,
    private redisServer: LocalServer,
    readonly ctx: TestContext,
    readonly stack: Stack,
  ) {}

  static async start(name: string, env: Record<string, string>): Promise<OwnRedisPipeline> {
    const dataDir = mkdtempSync(join(tmpdir(), `rw-chaos-${name}-`));
    const port = await freePort();
    const cleanup: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
    try {
      const redisServer = await startLocalRedis({ dataDir, port });
      cleanup.unshift(() => redisServer.stop());
      const ctx = await createTestContext({ REDIS_URL: redisServer.url, MODEL_REPOSITORY: `${repoRoot}models`, HOST: '127.0.0.1', ...env });
      cleanup.unshift(() => ctx.cleanup());
      const stack = await runStack({ services: ['inference', 'worker', 'ingest', 'api'], env: ctx.env });
      return new OwnRedisPipeline(dataDir, port, redisServer, ctx, stack);
    } catch (err) {
      for (const undo of cleanup) await undo();
      throw err;
    }
  }

  /** The redis-server process (to signal). */
  redisPid(): number {
    return serverPid(this.port);
  }

  /** After the process was killed: reaps it and starts redis-server again on the same address and data. */
  async restartRedis(): Promise<void> {
    await this.redisServer.stop();
    this.redisServer = await startLocalRedis({ dataDir: this.dataDir, port: this.port });
  }

  async stop(): Promise<void> {
    await this.stack.stop();
    await this.ctx.cleanup();
    await this.redisServer.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
