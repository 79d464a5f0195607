import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.ts';

/**
 * bench:scale and soak run for a few seconds on real processes (Redis, S3, inference,
 * worker, ingest with ffmpeg, api): their --json output has the documented shape, holds
 * its invariants, and the exit code agrees with the failures it lists. No timing is asserted.
 */
function runTool(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--json', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('bench tools', () => {
  it('bench:scale measures a deployment with two inference servers and frame batches on a Redis Cluster and leaves no committed frame bytes', async () => {
    const run = await runTool('bench/scale.ts', ['--configs', 'w1-i2-cluster-b250', '--cameras', '2', '--fps', '2', '--seconds', '3', '--warmup', '0', '--sample', '2', '--idle', '1']);
    expect(run.stdout, run.stderr.slice(-3000)).toMatch(/^\{/);
    const report = JSON.parse(run.stdout) as {
      cores: number;
      offeredFramesPerSecond: number;
      results: Record<string, unknown>[];
      failures: string[];
    };
    expect(report.offeredFramesPerSecond).toBe(4);
    expect(report.cores).toBeGreaterThan(0);
    expect(run.code).toBe(report.failures.length ? 1 : 0);
    expect(report.results).toHaveLength(1);
    const row = report.results[0] as {
      config: string;
      workers: number;
      inferenceServers: number;
      redis: string;
      redisServers: number;
      framesCommitted: number;
      framesPerSecond: number;
      p95LatencyMs: number;
      p50LatencyMs: number;
      redisCommands: number;
      redisCommandsPerFrame: number;
      redisCommandsPerFrameByCommand: Record<string, number>;
      redisBytesPerFrame: number;
      cpuMsPerFrame: Record<string, number>;
      frameKeysLeft: number;
      committedFrameKeysLeft: number;
      sample: { frames: number; sentPerFrame: number; inScriptsPerFrame: number; byService: Record<string, number>; sent: Record<string, number>; inScripts: Record<string, number>; byKey: Record<string, number> };
    };
    expect(row).toMatchObject({ config: 'w1-i2-cluster-b250', workers: 1, inferenceServers: 2, redis: 'cluster', redisServers: 3, batchWindowMs: 250, batchMaxFrames: 32 });
    expect(row.framesCommitted).toBeGreaterThan(0);
    expect(row.framesPerSecond).toBeGreaterThan(0);
    expect(row.p95LatencyMs).toBeGreaterThanOrEqual(row.p50LatencyMs);
    expect(row.p50LatencyMs).toBeGreaterThan(0);
    // The by-command table adds up to the total (each entry rounded to 0.01).
    const byCommand = Object.values(row.redisCommandsPerFrameByCommand).reduce((a, b) => a + b, 0);
    expect(Math.abs(byCommand - row.redisCommandsPerFrame)).toBeLessThan(0.01 * Object.keys(row.redisCommandsPerFrameByCommand).length + 0.01);
    expect(row.redisCommandsPerFrame).toBeCloseTo(row.redisCommands / row.framesCommitted, 1);
    // A frame's bytes pass through Redis at least twice (ingest's SET, the worker's GET).
    expect(row.redisBytesPerFrame).toBeGreaterThan(2 * 10_000);
    expect(row.redisCommandsPerFrameByCommand.evalsha).toBeGreaterThan(0);
    expect(Object.keys(row.cpuMsPerFrame).sort()).toEqual(['ffmpeg', 'inference', 'ingest', 'redis', 'worker']);
    expect(row.cpuMsPerFrame.worker).toBeGreaterThan(0);
    expect(row.cpuMsPerFrame.inference).toBeGreaterThan(0);
    expect(row.sample.sent.evalsha).toBeGreaterThan(0);
    // Every frame's commit is one script on its camera's keys (ids taken out of the key names).
    expect(row.sample.byKey['evalsha sc0:cam:{*}:lock']).toBeGreaterThan(0);
    expect(row.sample.byKey['set sc0:batch:*']).toBeGreaterThan(0);
    // Both ingest (queues frames) and the worker (takes and finishes them) talk to Redis for every frame.
    expect(row.sample.byService.ingest).toBeGreaterThan(0);
    expect(row.sample.byService.worker).toBeGreaterThan(0);
    expect(row.committedFrameKeysLeft).toBe(0);
    expect(row.frameKeysLeft).toBeGreaterThanOrEqual(row.committedFrameKeysLeft);
    if (row.redisCommandsPerFrame > 20) expect(report.failures.join('\n')).toMatch(/Redis commands per frame/);
  }, 300_000);

  it('soak samples every service and Redis, and its verdict matches its exit code', async () => {
    const run = await runTool('bench/soak.ts', ['--minutes', '0.25', '--interval-seconds', '5', '--cameras', '1']);
    expect(run.stdout, run.stderr.slice(-3000)).toMatch(/^\{/);
    const report = JSON.parse(run.stdout) as {
      samples: { at: number; rss: Record<string, number>; redisUsedMemory: number; redisRetainedBytes: number; queueWaiting: number; queueActive: number; framesCommitted: number; apiOk: boolean }[];
      verdicts: { series: string; firstThirdMean: number; lastThirdMean: number; ratio: number; flat: boolean }[];
      flat: boolean;
      failures: string[];
      framesCommitted: number;
    };
    expect(run.code).toBe(report.flat ? 0 : 1);
    expect(report.flat).toBe(report.failures.length === 0);
    expect(report.samples.length).toBeGreaterThanOrEqual(3);
    for (const s of report.samples) {
      expect(Object.keys(s.rss).sort()).toEqual(['api', 'inference', 'ingest', 'ingest-ffmpeg', 'worker']);
      for (const bytes of Object.values(s.rss)) expect(bytes).toBeGreaterThan(1024 * 1024);
      expect(s.redisUsedMemory).toBeGreaterThan(s.redisRetainedBytes);
      expect(s.apiOk).toBe(true);
    }
    expect(report.samples.map((s) => s.at)).toEqual([...report.samples.map((s) => s.at)].sort((a, b) => a - b));
    expect(report.framesCommitted).toBeGreaterThan(0);
    expect(report.verdicts.map((v) => v.series).sort()).toEqual(['redis:used_memory-less-retained', 'rss:api', 'rss:inference', 'rss:ingest', 'rss:ingest-ffmpeg', 'rss:worker']);
    for (const v of report.verdicts) expect(v.flat).toBe(v.ratio <= 1.1);
    expect(report.failures.filter((f) => / grew: /.test(f))).toHaveLength(report.verdicts.filter((v) => !v.flat).length);
  }, 300_000);
  it('bench:queue-floor counts what one BullMQ job costs Redis, under both arrivals and both option sets', async () => {
    const run = await runTool('bench/queue-floor.ts', ['--jobs', '20', '--gap-ms', '5']);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(run.stdout) as { jobs: number; rows: { arrival: string; options: string; jobs: number; commandsPerJob: number; scriptCallsPerJob: number; byCommand: Record<string, number> }[] };
    expect(report.rows.map((r) => `${r.arrival}/${r.options}`)).toEqual(['paced/frame-job', 'paced/bullmq-default', 'backlog/frame-job', 'backlog/bullmq-default']);
    for (const r of report.rows) {
      expect(r.jobs).toBe(20);
      // Every job is added by a script and finished by one: at least two script calls, each running commands of its own.
      expect(r.scriptCallsPerJob).toBeGreaterThanOrEqual(2);
      expect(r.commandsPerJob).toBeGreaterThan(r.scriptCallsPerJob);
      expect(Object.values(r.byCommand).reduce((a, b) => a + b, 0)).toBeCloseTo(r.commandsPerJob, 0);
    }
  }, 120_000);
});
