/**
 * npm run soak -- --minutes N [--cameras K] [--fps F] [--interval-seconds S] [--json]
 *
 * The demo-sized pipeline for N minutes, each service in its own process
 * (`riverwatch start --services ...`: inference, worker, ingest, api) on a local
 * redis-server and the embedded S3 server, with K file cameras streaming the bundled
 * river clip (looped by ingest's ffmpeg). Once every camera has committed a frame, and
 * then every S seconds (default 60), it records each service's resident memory
 * (/proc/<pid>/status VmRSS; ingest's ffmpeg children summed apart), Redis used_memory,
 * the frames queue's waiting/active jobs, frames committed so far and whether the API
 * answers. Memory must be flat: per series, the mean of the last third of the run is
 * at most 10% above the mean of the first third. Redis is judged without what it keeps on
 * purpose for longer than a soak (frame history: hours) or up to a fixed
 * count (BullMQ's finished jobs and events), reported beside it. Exits 1 when
 * a series grew, a service died, the API stopped answering or no frame was committed in
 * the last third.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { QueueName, RedisKeys, createRedis, scanKeys, type Redis } from '@riverwatch/common';
import { freePort } from '@riverwatch/local-infra';
import { descendants } from '../test/support/processes.ts';
import { DEMO_CLIP, ServiceProcesses, benchCamera, redisNodeUrls, registerCameras, serviceEnv, startRedis, startS3, type ServiceProcess, positiveArg as positive } from './support/pipeline-stack.ts';
import { RedisStatsReader } from './support/redis-stats.ts';

/** The last third of the run may be this much above the first third. */
export const MAX_GROWTH = 0.1;

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    cameras: { type: 'string', default: '4' },
    fps: { type: 'string', default: '2' },
    'interval-seconds': { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
  },
});
const minutes = positive('minutes', args.minutes);
const cameraCount = positive('cameras', args.cameras);
const fps = positive('fps', args.fps);
const intervalMs = positive('interval-seconds', args['interval-seconds']) * 1000;
const log = (msg: string) => process.stderr.write(msg + '\n');
const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

export interface SoakSample {
  /** Seconds since the first sample. */
  at: number;
  /** Resident memory in bytes by series: each service process, ingest's ffmpeg children together. */
  rss: Record<string, number>;
  redisUsedMemory: number;
  /** Of redisUsedMemory, what Redis keeps on purpose for longer than a soak, or up to a fixed count (see retainedBytes). */
  redisRetainedBytes: number;
  queueWaiting: number;
  queueActive: number;
  framesCommitted: number;
  apiOk: boolean;
}

export interface SeriesVerdict {
  series: string;
  firstThirdMean: number;
  lastThirdMean: number;
  /** lastThirdMean / firstThirdMean. */
  ratio: number;
  flat: boolean;
}

/** Flat: the mean of the samples in the last third of the run is at most MAX_GROWTH above the first third's. */
export function judgeSeries(series: string, samples: { at: number; value: number }[]): SeriesVerdict {
  const end = samples[samples.length - 1]!.at;
  const first = samples.filter((s) => s.at <= end / 3);
  const last = samples.filter((s) => s.at >= (2 * end) / 3);
  const mean = (xs: { value: number }[]) => xs.reduce((a, s) => a + s.value, 0) / xs.length;
  const [a, b] = [mean(first), mean(last)];
  const ratio = Math.round((b / a) * 1000) / 1000;
  return { series, firstThirdMean: Math.round(a), lastThirdMean: Math.round(b), ratio, flat: ratio <= 1 + MAX_GROWTH };
}

const dataDir = mkdtempSync(join(tmpdir(), 'rw-soak-'));
const services = new ServiceProcesses();
const redisServer = await startRedis(join(dataDir, 'redis'));
const s3 = await startS3(join(dataDir, 's3'));
const redis = createRedis(redisServer.url);
const stats = new RedisStatsReader(redisNodeUrls(redisServer.url));
const keys = new RedisKeys('soak');
const queue = new Queue(QueueName.frames, { connection: redis, prefix: keys.queuePrefix });
let exitCode = 0;
try {
  const adminKey = `rw_admin_${randomBytes(18).toString('base64url')}`;
  const [grpcPort, apiPort] = [await freePort(), await freePort()];
  const env = serviceEnv({
    redisUrl: redisServer.url,
    s3,
    prefix: keys.prefix,
    extra: { GRPC_PORT: String(grpcPort), INFERENCE_TARGETS: `127.0.0.1:${grpcPort}`, PORT: String(apiPort), HOST: '127.0.0.1', RIVERWATCH_ADMIN_KEY: adminKey },
  });
  const ids = Array.from({ length: cameraCount }, (_, i) => `soak-${i}`);
  await registerCameras(redis, keys, ids.map((id) => benchCamera(id, { sourceUrl: `file://${DEMO_CLIP}`, fps })));
  const procs: ServiceProcess[] = [];
  for (const service of ['inference', 'worker', 'ingest', 'api']) procs.push(await services.start(service, env));
  log(`soak: ${cameraCount} cameras at ${fps} fps, ${minutes} min, a sample every ${intervalMs / 1000} s, ${availableParallelism()} cores`);

  const committed = async () => (await Promise.all(ids.map((id) => redis.xlen(keys.frameSummaries(id))))).reduce((a, b) => a + b, 0);
  const warmDeadline = Date.now() + 180_000;
  while ((await Promise.all(ids.map((id) => redis.xlen(keys.frameSummaries(id))))).some((n) => n === 0)) {
    if (Date.now() > warmDeadline) throw new Error('not every camera committed a frame within 180 s');
    await sleep(500);
  }

  const samples: SoakSample[] = [];
  const died: string[] = [];
  const familiesAtStart = await keyFamilies();
  const t0 = Date.now();
  for (let next = t0; ; next += intervalMs) {
    await sleep(Math.max(0, next - Date.now()));
    for (const p of procs) if (p.child.exitCode !== null || p.child.signalCode !== null) died.push(`${p.service} exited (${p.child.exitCode ?? p.child.signalCode})`);
    if (died.length) break;
    const sample = await takeSample((Date.now() - t0) / 1000);
    samples.push(sample);
    log(
      `${String(Math.round(sample.at)).padStart(5)} s  ` +
        Object.entries(sample.rss).map(([k, v]) => `${k} ${mib(v)} MiB`).join('  ') +
        `  redis ${mib(sample.redisUsedMemory)} MiB (retained ${mib(sample.redisRetainedBytes)})  queue ${sample.queueWaiting}/${sample.queueActive}  frames ${sample.framesCommitted}  api ${sample.apiOk ? 'ok' : 'DOWN'}`,
    );
    if (next - t0 >= minutes * 60_000) break;
  }

  async function takeSample(at: number): Promise<SoakSample> {
    const rss: Record<string, number> = {};
    for (const p of procs) rss[p.service] = residentBytes(p.pid);
    rss['ingest-ffmpeg'] = descendants(procs.find((p) => p.service === 'ingest')!.pid)
      .filter((d) => /ffmpeg/.test(d.args))
      .reduce((sum, d) => sum + residentBytes(d.pid), 0);
    const retained = await retainedBytes();
    const counts = await queue.getJobCounts('waiting', 'active');
    const apiOk = await fetch(`http://127.0.0.1:${apiPort}/v1/cameras`, { headers: { authorization: `Bearer ${adminKey}` }, signal: AbortSignal.timeout(10_000) })
      .then((r) => r.ok)
      .catch(() => false);
    return {
      at: Math.round(at * 10) / 10,
      rss,
      redisUsedMemory: (await stats.read()).usedMemory,
      redisRetainedBytes: retained,
      queueWaiting: counts.waiting ?? 0,
      queueActive: counts.active ?? 0,
      framesCommitted: await committed(),
      apiOk,
    };
  }

  // Where Redis memory went between the first and the last sample, by kind of key: what to look at when it grew.
  const familiesAtEnd = await keyFamilies();
  const redisGrowthByKeyFamily = Object.fromEntries(
    Object.keys({ ...familiesAtStart, ...familiesAtEnd })
      .map((k) => [k, (familiesAtEnd[k] ?? 0) - (familiesAtStart[k] ?? 0)] as const)
      .filter(([, d]) => d !== 0)
      .sort((a, b) => b[1] - a[1]),
  );
  const verdicts = samples.length < 2 ? [] : [
    ...Object.keys(samples[0]!.rss).map((k) => judgeSeries(`rss:${k}`, samples.map((s) => ({ at: s.at, value: s.rss[k]! })))),
    judgeSeries('redis:used_memory-less-retained', samples.map((s) => ({ at: s.at, value: s.redisUsedMemory - s.redisRetainedBytes }))),
  ];
  const end = samples.at(-1)?.at ?? 0;
  const lastThird = samples.filter((s) => s.at >= (2 * end) / 3);
  const failures = [
    ...died,
    ...(samples.length < 2 ? ['fewer than two samples: run longer than one interval'] : []),
    ...verdicts.filter((v) => !v.flat).map((v) => `${v.series} grew: last third ${mib(v.lastThirdMean)} MiB vs first third ${mib(v.firstThirdMean)} MiB (x${v.ratio}, limit x${1 + MAX_GROWTH})`),
    ...samples.filter((s) => !s.apiOk).map((s) => `the API did not answer at ${s.at} s`),
    ...(lastThird.length >= 2 && lastThird.at(-1)!.framesCommitted <= lastThird[0]!.framesCommitted ? ['no frame committed in the last third of the run'] : []),
  ];
  exitCode = failures.length ? 1 : 0;
  const first = samples[0];
  const last = samples.at(-1);
  const report = {
    date: new Date(t0).toISOString(),
    cores: availableParallelism(),
    minutes,
    cameras: cameraCount,
    fps,
    intervalSeconds: intervalMs / 1000,
    framesCommitted: first && last ? last.framesCommitted - first.framesCommitted : 0,
    committedFramesPerSecond: first && last && last.at > first.at ? Math.round(((last.framesCommitted - first.framesCommitted) / (last.at - first.at)) * 100) / 100 : null,
    retainedBytesPerFrame: first && last && last.framesCommitted > first.framesCommitted ? Math.round((last.redisRetainedBytes - first.redisRetainedBytes) / (last.framesCommitted - first.framesCommitted)) : null,
    maxGrowth: MAX_GROWTH,
    /** Bytes (MEMORY USAGE) gained from the first sample to the last, by key family (ids replaced by *). */
    redisGrowthByKeyFamily,
    samples,
    verdicts,
    flat: failures.length === 0,
    failures,
  };
  if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    for (const v of verdicts) console.log(`${v.flat ? 'flat ' : 'GREW '} ${v.series.padEnd(36)} first third ${mib(v.firstThirdMean)} MiB, last third ${mib(v.lastThirdMean)} MiB (x${v.ratio})`);
    console.log(`${report.framesCommitted} frames committed (${report.committedFramesPerSecond} frames/s); Redis keeps ${report.retainedBytesPerFrame} bytes per frame for its retention windows`);
    for (const f of failures) console.log(`FAIL ${f}`);
  }
} catch (err) {
  services.killAll();
  throw err;
} finally {
  await services.stopAll();
  await queue.close();
  stats.close();
  redis.disconnect();
  await s3.stop();
  await redisServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exitCode = exitCode;

/** VmRSS of a live process in bytes (0 once it is gone). */
function residentBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Bytes Redis keeps on purpose for longer than a soak runs, or up to a fixed count that a
 * soak's first minutes fill: each camera's summary stream and frame ledger (retention
 * window), the labelling set's index (kept until an operator prunes it), the live event stream (last 10,000 events), and
 * BullMQ's finished frame jobs (the last 1,000 for 300 s) and event stream (~10,000 events).
 * Large sets are estimated from up to 200 sampled keys.
 */
async function retainedBytes(): Promise<number> {
  const usage = async (k: string) => Number((await redis.memory('USAGE', k, 'SAMPLES', '0')) ?? 0);
  const estimate = async (found: string[]) => {
    const sample = found.slice(0, 200);
    const sizes = await Promise.all(sample.map(usage));
    return sample.length ? (sizes.reduce((a, b) => a + b, 0) / sample.length) * found.length : 0;
  };
  const camKeys = await scanKeys(redis as Redis, `${keys.prefix}:cam:*`);
  const streams = camKeys.filter((k) => /:(frames|ledger)$/.test(k));
  const queueKey = (k: string) => `${keys.queuePrefix}:${QueueName.frames}:${k}`;
  const finishedJobs = [...(await redis.zrange(queueKey('completed'), 0, -1)), ...(await redis.zrange(queueKey('failed'), 0, -1))].map(queueKey);
  const sizes = await Promise.all([...streams, keys.reviewIndex(), keys.events(), queueKey('completed'), queueKey('failed'), queueKey('events')].map(usage));
  return sizes.reduce((a, b) => a + b, 0) + (await estimate(finishedJobs));
}

/** MEMORY USAGE of every key, summed by family: the key with its hash tag and ids replaced by `*`. */
async function keyFamilies(): Promise<Record<string, number>> {
  const all = await scanKeys(redis as Redis, '*');
  const families: Record<string, number> = {};
  for (let i = 0; i < all.length; i += 200) {
    const batch = all.slice(i, i + 200);
    const sizes = await Promise.all(batch.map((k) => redis.memory('USAGE', k, 'SAMPLES', '0')));
    batch.forEach((k, j) => {
      const family = k.replace(/\{[^}]*\}/g, '{*}').replace(/(^|:)([a-z]{3}_[\w-]+|[0-9a-f-]{16,}|\d+)(?=:|$)/g, '$1*');
      families[family] = (families[family] ?? 0) + Number(sizes[j] ?? 0);
    });
  }
  return families;
}
