/**
 * npm run bench:scale [-- --json] [--cameras N] [--fps N] [--seconds N] [--warmup N] [--concurrency N]
 *                       [--configs w1-i1,w1-i1-b450,w2-i1-b450,w1-i2-b450,w2-i2-b450,w2-i2-cluster-b450]
 *                       [--sample N] [--idle N] [--batch-max N] [--review-interval S]
 *
 * The same camera load through different deployments, each service in its own process
 * (`riverwatch start --services ...`): --cameras file cameras streaming the bundled river
 * clip at --fps through one ingest process (ffmpeg, as in production), into W worker
 * processes calling I inference servers (the worker's client round-robins over
 * INFERENCE_TARGETS), on one redis-server or a three-master Redis Cluster (`-cluster`);
 * a `-b<ms>` suffix (`w1-i1-b250`) has ingest send frame batches gathered over that window
 * (INGEST_BATCH_WINDOW_MS, at most --batch-max frames each) instead of a job per frame.
 * Per configuration, over a --seconds window once every camera has committed a frame:
 * committed frames/s, p95 capture-to-commit latency (the frame summary's processedAt -
 * capturedAt), Redis commands per committed frame (INFO commandstats deltas summed over
 * every server, by command) and bytes through Redis per frame (INFO net input + output).
 * Then ingest stops, the queue drains, and every frame key still in Redis is checked:
 * none may belong to a committed frame. A --sample window under MONITOR splits the
 * commands into those the services sent and those BullMQ's Lua scripts ran, and an --idle
 * window after the drain gives the background rate. Exits 1 when that, or the <= 20 commands per
 * frame target, does not hold.
 *
 * The target is for the scale-out deployments, which send frame batches: when a run has rows
 * with batches, its rows with a job per frame are their baseline (figures printed, each batched
 * row's commands per frame as a ratio to the first of them, not judged). A run of job-per-frame
 * rows alone is judged as it is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { QueueName, RedisKeys, createRedis, scanKeys, type FrameBatchJob, type FrameSummary, type Redis } from '@riverwatch/common';
import { freePort } from '@riverwatch/local-infra';
import { descendants } from '../test/support/processes.ts';
import { DEMO_CLIP, ServiceProcesses, cpuMs, type ServiceProcess, benchCamera, redisNodeUrls, registerCameras, serviceEnv, startRedis, startS3, type S3Server, positiveArg as positive } from './support/pipeline-stack.ts';
import { CommandSourceSampler, RedisStatsReader, tcpClientPids, trafficBetween } from './support/redis-stats.ts';

/** The target of issue 15: Redis work per frame must not be what limits scale-out. */
export const MAX_COMMANDS_PER_FRAME = 20;

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    cameras: { type: 'string', default: '8' },
    // 2 fps: a 450 ms window then gathers one frame of each camera per batch.
    fps: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
    configs: { type: 'string', default: 'w1-i1,w1-i1-b450,w2-i1-b450,w1-i2-b450,w2-i2-b450,w2-i2-cluster-b450' },
    sample: { type: 'string', default: '5' },
    idle: { type: 'string', default: '5' },
    'batch-max': { type: 'string', default: '32' },
    // The product's default (config REVIEW_INTERVAL_SECONDS); 0 sends every uncertain frame to labelling.
    'review-interval': { type: 'string', default: '30' },
  },
});
const cameraCount = positive('cameras', args.cameras);
const fps = positive('fps', args.fps);
const seconds = positive('seconds', args.seconds);
const warmupSeconds = Number(args.warmup);
const concurrency = positive('concurrency', args.concurrency);
const sampleSeconds = positive('sample', args.sample);
const idleSeconds = positive('idle', args.idle);
const batchMaxFrames = positive('batch-max', args['batch-max']);
const reviewIntervalSeconds = Number(args['review-interval']);
if (!Number.isInteger(reviewIntervalSeconds) || reviewIntervalSeconds < 0) throw new Error(`--review-interval must be a whole number of seconds >= 0, got ${args['review-interval']}`);

interface Deployment {
  name: string;
  workers: number;
  inference: number;
  cluster: boolean;
  /** Frame batches' window in ms; 0: one job per frame. */
  batchWindowMs: number;
}
const deployments: Deployment[] = args.configs!.split(',').map((name) => {
  const m = /^w(\d+)-i(\d+)(-cluster)?(?:-b(\d+))?$/.exec(name.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1 || m[4] === '0') {
    throw new Error(`--configs: '${name}' is not w<workers>-i<inference servers>[-cluster][-b<batch window ms>], e.g. w2-i1, w2-i2-cluster or w1-i1-b250`);
  }
  return { name: name.trim(), workers: Number(m[1]), inference: Number(m[2]), cluster: !!m[3], batchWindowMs: Number(m[4] ?? 0) };
});
const log = (msg: string) => process.stderr.write(msg + '\n');
const round2 = (n: number) => Math.round(n * 100) / 100;

export interface ScaleRow {
  config: string;
  workers: number;
  inferenceServers: number;
  redis: 'single' | 'cluster';
  redisServers: number;
  /** Frame batches' window (ms) and their most frames; window 0: one job per frame. */
  batchWindowMs: number;
  batchMaxFrames: number | null;
  windowSeconds: number;
  framesCommitted: number;
  framesPerSecond: number;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  /** Frames ingest queued and frames it dropped (a newer frame replaced a waiting one) in the window, from its camera status. */
  framesQueued: number;
  framesDropped: number;
  redisCommands: number;
  redisCommandsPerFrame: number | null;
  /** Commands per frame by command, most first. */
  redisCommandsPerFrameByCommand: Record<string, number>;
  redisBytesPerFrame: number | null;
  /** CPU time per committed frame by role, all processes of a role together (ffmpeg: ingest's children; redis: every server's used_cpu). */
  cpuMsPerFrame: Record<string, number>;
  /** Commands per second once the queue has drained, ingest stopped: workers and inference idle. */
  idleRedisCommandsPerSecond: number;
  /**
   * A separate window of --sample seconds under MONITOR: per committed frame, commands the
   * services sent versus commands run inside Lua scripts (BullMQ), by command.
   */
  sample: {
    frames: number;
    sentPerFrame: number | null;
    inScriptsPerFrame: number | null;
    /** Commands per frame by the service that sent them, its scripts' commands included ('other': this benchmark's own connections, or a connection gone before it was looked up). */
    byService: Record<string, number>;
    sent: Record<string, number>;
    inScripts: Record<string, number>;
    /** Commands per frame (sent and in scripts) as `command key-family`, ids taken out (`rw:cam:{*}:live`), the 60 most frequent. */
    byKey: Record<string, number>;
  };
  /** After ingest stopped and the queue drained: frame keys left, and of those, frames that were committed (must be 0). */
  frameKeysLeft: number;
  committedFrameKeysLeft: number;
  /** Held to the commands-per-frame target (false: a job-per-frame baseline beside batched rows). */
  judged: boolean;
  /** Commands per frame over the baseline's (the run's first job-per-frame row), for batched rows. */
  commandsVsBaseline?: number;
}

const dataDir = mkdtempSync(join(tmpdir(), 'rw-bench-scale-'));
const services = new ServiceProcesses();
let s3: S3Server | undefined;
let exitCode = 0;
try {
  s3 = await startS3(join(dataDir, 's3'));
  const rows: ScaleRow[] = [];
  for (const [i, d] of deployments.entries()) {
    const batching = d.batchWindowMs ? `, frame batches over ${d.batchWindowMs} ms (at most ${batchMaxFrames})` : '';
    log(`${d.name}: ${d.workers} worker(s), ${d.inference} inference server(s), ${d.cluster ? 'Redis Cluster (3 masters)' : 'one redis-server'}${batching}`);
    const row = await measure(d, i, s3);
    rows.push(row);
    log(
      `${d.name}: ${row.framesPerSecond} frames/s, p95 ${row.p95LatencyMs} ms, ${row.redisCommandsPerFrame} Redis commands and ${row.redisBytesPerFrame} bytes per frame, ` +
        `${row.committedFrameKeysLeft} committed frames' bytes left in Redis`,
    );
  }
  const baseline = rows.some((r) => r.batchWindowMs > 0) ? rows.filter((r) => !r.batchWindowMs) : [];
  for (const r of rows) {
    if (baseline.includes(r)) r.judged = false;
    else if (baseline[0]?.redisCommandsPerFrame && r.redisCommandsPerFrame !== null) r.commandsVsBaseline = Math.round((r.redisCommandsPerFrame / baseline[0].redisCommandsPerFrame) * 1000) / 1000;
  }
  const failures = [
    ...rows.filter((r) => r.committedFrameKeysLeft > 0).map((r) => `${r.config}: ${r.committedFrameKeysLeft} committed frames still have their bytes in Redis`),
    ...rows.filter((r) => r.framesCommitted === 0).map((r) => `${r.config}: no frame committed in the window`),
    ...rows
      .filter((r) => r.judged && r.redisCommandsPerFrame !== null && r.redisCommandsPerFrame > MAX_COMMANDS_PER_FRAME)
      .map((r) => `${r.config}: ${r.redisCommandsPerFrame} Redis commands per frame (target <= ${MAX_COMMANDS_PER_FRAME})`),
  ];
  exitCode = failures.length ? 1 : 0;
  const report = {
    date: new Date().toISOString(),
    cores: availableParallelism(),
    cameras: cameraCount,
    fps,
    offeredFramesPerSecond: cameraCount * fps,
    workerConcurrency: concurrency,
    reviewIntervalSeconds,
    maxCommandsPerFrame: MAX_COMMANDS_PER_FRAME,
    results: rows,
    failures,
  };
  if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    console.log(`${cameraCount} cameras at ${fps} fps (${cameraCount * fps} frames/s offered), ${seconds} s per configuration, worker concurrency ${concurrency}, ${report.cores} cores`);
    console.log('config                 frames/s  p95 ms  cmds/frame  vs baseline  bytes/frame  dropped  committed bytes left');
    for (const r of rows) {
      console.log(
        `${(r.judged ? r.config : `${r.config} (baseline)`).padEnd(21)} ${r.framesPerSecond.toFixed(2).padStart(9)} ${String(r.p95LatencyMs).padStart(7)} ${String(r.redisCommandsPerFrame).padStart(11)} ${String(r.commandsVsBaseline ?? '').padStart(12)} ${String(r.redisBytesPerFrame).padStart(12)} ${String(r.framesDropped).padStart(8)} ${String(r.committedFrameKeysLeft).padStart(21)}`,
      );
    }
    for (const f of failures) console.log(`FAIL ${f}`);
  }
} catch (err) {
  services.killAll();
  throw err;
} finally {
  await services.stopAll();
  await s3?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exitCode = exitCode;

/** One deployment, from fresh Redis and fresh processes to the frame-key check. */
async function measure(d: Deployment, index: number, s3: S3Server): Promise<ScaleRow> {
  const redisServer = await startRedis(join(dataDir, `redis-${index}`), d.cluster);
  const redis = createRedis(redisServer.url);
  const stats = new RedisStatsReader(redisNodeUrls(redisServer.url));
  const prefix = `sc${index}`;
  const keys = new RedisKeys(prefix);
  const ids = Array.from({ length: cameraCount }, (_, i) => `cam-${i}`);
  try {
    const ports = await Promise.all(Array.from({ length: d.inference }, () => freePort()));
    const env = (extra: Record<string, string>) =>
      serviceEnv({
        redisUrl: redisServer.url,
        s3,
        prefix,
        extra: {
          INFERENCE_TARGETS: ports.map((p) => `127.0.0.1:${p}`).join(','),
          WORKER_CONCURRENCY: String(concurrency),
          // At most one uncertain frame per camera and interval goes to the labelling set (0: every one, the worker's heaviest path).
          REVIEW_INTERVAL_SECONDS: String(reviewIntervalSeconds),
          ...extra,
        },
      });
    for (const port of ports) await services.start('inference', env({ GRPC_PORT: String(port) }));
    const workers = [];
    for (let w = 0; w < d.workers; w++) workers.push(await services.start('worker', env({})));
    await registerCameras(redis, keys, ids.map((id) => benchCamera(id, { sourceUrl: `file://${DEMO_CLIP}`, fps })));
    const ingest = await services.start('ingest', env(d.batchWindowMs ? { INGEST_BATCH_WINDOW_MS: String(d.batchWindowMs), INGEST_BATCH_MAX_FRAMES: String(batchMaxFrames) } : {}));

    // Warm: every camera has a committed frame (sessions loaded, water masks segmented).
    await waitFor(async () => (await Promise.all(ids.map((id) => redis.xlen(keys.frameSummaries(id))))).every((n) => n > 0), 180_000, 'every camera to commit a frame');
    await sleep(warmupSeconds * 1000);

    const running = services.list();
    const statusBefore = await ingestCounts(redis, keys, ids);
    const cpuBefore = cpuByRole(running);
    const before = await stats.read();
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const after = await stats.read();
    const t1 = Date.now();
    const cpuAfter = cpuByRole(running);
    const statusAfter = await ingestCounts(redis, keys, ids);
    const traffic = trafficBetween(before, after, stats.servers);

    // Where the commands come from: a short window of its own under MONITOR.
    const sampler = await CommandSourceSampler.start(stats.nodeUrls);
    const t2 = Date.now();
    await sleep(sampleSeconds * 1000);
    const clientPids = tcpClientPids();
    const sources = sampler.stop();
    const t3 = Date.now();
    const roleOf = new Map(running.map((p) => [p.pid, p.service]));
    const byService: Record<string, number> = {};
    for (const [client, calls] of Object.entries(sources.byClient)) {
      const role = roleOf.get(clientPids.get(client) ?? -1) ?? 'other';
      byService[role] = (byService[role] ?? 0) + calls;
    }

    // Stop the cameras, let the workers finish what is queued, then look for frame bytes left behind.
    await services.stop(ingest);
    await waitForDrain(redis, keys);
    // What workers and inference cost Redis with no frame to process (BullMQ's stalled-job checks, blocking pops).
    const idleBefore = await stats.read();
    const i0 = Date.now();
    await sleep(idleSeconds * 1000);
    const idle = trafficBetween(idleBefore, await stats.read(), stats.servers);
    const idleCommandsPerSecond = round2(idle.totalCommands / ((Date.now() - i0) / 1000));
    for (const w of workers) await services.stop(w);
    const summaries = (await Promise.all(ids.map((id) => readSummaries(redis, keys, id)))).flat();
    const committed = new Set(summaries.map((s) => s.frameId));
    const left = [...(await scanKeys(redis, keys.frame('*'))).map((k) => k.slice(keys.frame('').length)), ...(await framesOfBatchesLeft(redis, keys))];

    const inWindow = summaries.filter((s) => s.processedAt > t0 && s.processedAt <= t1);
    const latencies = inWindow.map((s) => s.processedAt - s.capturedAt).sort((a, b) => a - b);
    const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : null);
    const n = inWindow.length;
    const perFrame = (x: number) => (n ? round2(x / n) : null);
    const sampled = summaries.filter((s) => s.processedAt > t2 && s.processedAt <= t3).length;
    const perSampledFrame = (t: Record<string, number>) => Object.fromEntries(Object.entries(t).map(([cmd, calls]) => [cmd, sampled ? round2(calls / sampled) : 0]));
    const total = (t: Record<string, number>) => Object.values(t).reduce((a, b) => a + b, 0);
    return {
      config: d.name,
      workers: d.workers,
      inferenceServers: d.inference,
      redis: d.cluster ? 'cluster' : 'single',
      redisServers: stats.servers,
      batchWindowMs: d.batchWindowMs,
      batchMaxFrames: d.batchWindowMs ? batchMaxFrames : null,
      windowSeconds: round2((t1 - t0) / 1000),
      framesCommitted: n,
      framesPerSecond: round2(n / ((t1 - t0) / 1000)),
      p50LatencyMs: pct(50),
      p95LatencyMs: pct(95),
      framesQueued: statusAfter.framesOut - statusBefore.framesOut,
      framesDropped: statusAfter.drops - statusBefore.drops,
      redisCommands: traffic.totalCommands,
      redisCommandsPerFrame: perFrame(traffic.totalCommands),
      redisCommandsPerFrameByCommand: Object.fromEntries(Object.entries(traffic.commands).map(([cmd, calls]) => [cmd, perFrame(calls)!])),
      redisBytesPerFrame: n ? Math.round(traffic.netBytes / n) : null,
      cpuMsPerFrame: Object.fromEntries(
        [...Object.keys(cpuAfter).map((role) => [role, cpuAfter[role]! - (cpuBefore[role] ?? 0)] as const), ['redis', (after.cpuSeconds - before.cpuSeconds) * 1000] as const].map(([role, ms]) => [
          role,
          n ? round2(ms / n) : 0,
        ]),
      ),
      idleRedisCommandsPerSecond: idleCommandsPerSecond,
      sample: {
        frames: sampled,
        sentPerFrame: sampled ? round2(total(sources.sent) / sampled) : null,
        inScriptsPerFrame: sampled ? round2(total(sources.inScripts) / sampled) : null,
        byService: perSampledFrame(byService),
        sent: perSampledFrame(sources.sent),
        inScripts: perSampledFrame(sources.inScripts),
        byKey: perSampledFrame(Object.fromEntries(Object.entries(sources.byKey).slice(0, 60))),
      },
      frameKeysLeft: left.length,
      committedFrameKeysLeft: left.filter((id) => committed.has(id)).length,
      judged: true,
    };
  } finally {
    await services.stopAll();
    stats.close();
    redis.disconnect();
    await redisServer.stop();
  }
}

/** Frames queued and dropped so far over all cameras, as ingest last wrote them to each camera's status. */
async function ingestCounts(redis: Redis, keys: RedisKeys, ids: string[]): Promise<{ framesOut: number; drops: number }> {
  const all = await Promise.all(ids.map((id) => redis.hgetall(keys.cameraStatus(id))));
  return { framesOut: all.reduce((s, h) => s + Number(h.framesOut ?? 0), 0), drops: all.reduce((s, h) => s + Number(h.drops ?? 0), 0) };
}

/** CPU milliseconds used so far by the services' processes, summed by role; ingest's ffmpeg children as 'ffmpeg'. */
function cpuByRole(procs: ServiceProcess[]): Record<string, number> {
  const total: Record<string, number> = {};
  const add = (role: string, pid: number) => (total[role] = (total[role] ?? 0) + cpuMs(pid));
  for (const p of procs) {
    add(p.service, p.pid);
    if (p.service === 'ingest') for (const d of descendants(p.pid).filter((c) => /ffmpeg/.test(c.args))) add('ffmpeg', d.pid);
  }
  return total;
}

async function readSummaries(redis: Redis, keys: RedisKeys, cameraId: string): Promise<FrameSummary[]> {
  const entries = await redis.xrange(keys.frameSummaries(cameraId), '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('json') + 1]!) as FrameSummary);
}

/** The frame ids of every batch whose bytes are still in Redis (its job names them). */
async function framesOfBatchesLeft(redis: Redis, keys: RedisKeys): Promise<string[]> {
  const batchIds = (await scanKeys(redis, keys.frameBatch('*'))).map((k) => k.slice(keys.frameBatch('').length));
  if (!batchIds.length) return [];
  const queue = new Queue<FrameBatchJob>(QueueName.frames, { connection: redis, prefix: keys.queuePrefix });
  try {
    const jobs = await Promise.all(batchIds.map((id) => queue.getJob(id)));
    // A batch whose job is gone too is counted by its key alone.
    return jobs.flatMap((job, i) => job?.data.frames.map((f) => f.frameId) ?? [`batch:${batchIds[i]}`]);
  } finally {
    await queue.close();
  }
}

async function waitForDrain(redis: Redis, keys: RedisKeys): Promise<void> {
  const queue = new Queue(QueueName.frames, { connection: redis, prefix: keys.queuePrefix });
  try {
    await waitFor(async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).every((c) => c === 0), 120_000, 'the frames queue to drain');
  } finally {
    await queue.close();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}
