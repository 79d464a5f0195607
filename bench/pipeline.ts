/**
 * npm run bench:pipeline [-- --json] [--frames N] [--cameras N] [--rounds N] [--concurrency N] [--compare transport|tiling|frames] [--size WxH] [--tiles WxH,...]
 *
 * The worker's whole frame path (Redis frame bytes → BullMQ job → decode and
 * letterbox → gRPC ModelInfer → decode, water mask, tracker, rules → Redis
 * summary) with inference and worker each in its own process, as deployed, on a
 * local redis-server and the embedded S3 server. Side by side, interleaved over
 * rounds: the worker sending tensors in the gRPC message (any network) versus
 * through shared memory (worker and inference on one host, as docker-compose runs
 * them). Each round first sends --single frames one at a time (each frame's time
 * from enqueue to commit, nothing else queued), then fills the queue with --frames
 * frames spread over --cameras cameras at once and measures how fast the worker
 * drains it. `--compare tiling` instead runs the detector over whole frames versus
 * its config.json's tiles (cameras with tiling off / as configured), on frames scaled
 * to --size (default 1280x720, where tiling applies); each --tiles size adds a variant
 * whose cameras override the tile size (e.g. the native 640x384 beside the shipped one).
 * `--compare frames` runs tiled frames (default 1280x720) with the worker sending its tiles'
 * tensors in the message versus sending the encoded frame for the server to tile
 * (INFERENCE_SEND_FRAMES). Every variant also reports, over the burst, the bytes per frame
 * the inference server received in messages (its riverwatch_inference_request_bytes_total)
 * and the CPU per frame of the worker and of the inference process (/proc/<pid>/stat).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, type Job } from 'bullmq';
import sharp from 'sharp';
import { QueueName, RedisKeys, createRedis, frameJobOptions, newId, openQueueEvents, type CameraConfig, type FrameJob } from '@riverwatch/common';
import { parseTiling } from '@riverwatch/cli';
import { freePort } from '@riverwatch/local-infra';
import { ServiceProcesses, benchCamera, loadClipJpegs, registerCameras, serviceEnv, startRedis, startS3, type ServiceProcess } from './support/pipeline-stack.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    frames: { type: 'string', default: '80' },
    single: { type: 'string', default: '20' },
    cameras: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '2' },
    compare: { type: 'string', default: 'transport' },
    size: { type: 'string' },
    tiles: { type: 'string', default: '' },
  },
});
if (!['transport', 'tiling', 'frames'].includes(args.compare!)) throw new Error(`--compare must be transport, tiling or frames, got ${args.compare}`);
const sizeMatch = /^(\d+)x(\d+)$/.exec(args.size ?? (args.compare === 'transport' ? '640x360' : '1280x720'));
if (!sizeMatch) throw new Error(`--size must be WxH, got ${args.size}`);
const [width, height] = [Number(sizeMatch[1]), Number(sizeMatch[2])];
const frames = Number(args.frames);
const single = Number(args.single);
const cameras = Number(args.cameras);
const rounds = Number(args.rounds);
const log = (msg: string) => process.stderr.write(msg + '\n');

// Rendered river frames with debris (640x360 JPEG, scaled to --size), as a camera would send them.
const clipJpegs = loadClipJpegs('debris-appears');
const jpegs = width === 640 && height === 360 ? clipJpegs : await Promise.all(clipJpegs.map((j) => sharp(j).resize(width, height, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer()));

const dataDir = mkdtempSync(join(tmpdir(), 'rw-bench-pipeline-'));
const redisServer = await startRedis(join(dataDir, 'redis'));
const s3 = await startS3(join(dataDir, 's3'));
const redis = createRedis(redisServer.url);
const services = new ServiceProcesses();

/** What differs between the runs compared: the worker's environment, or the cameras' settings. */
type Variant = { key: string; env: Record<string, string>; camera?: Partial<CameraConfig> };
const variants: Variant[] =
  args.compare === 'tiling'
    ? [
        { key: 'whole', env: {}, camera: { tiling: { enabled: false } } },
        { key: 'tiled', env: {} },
        ...args.tiles!
          .split(',')
          .filter(Boolean)
          .map((t) => ({ key: `tiles-${t}`, env: {}, camera: { tiling: parseTiling(t, 'tiles') } })),
      ]
    : args.compare === 'frames'
      ? [
          { key: 'tensors', env: { INFERENCE_SHARED_MEMORY: 'false', INFERENCE_SEND_FRAMES: 'false' } },
          { key: 'frames', env: { INFERENCE_SHARED_MEMORY: 'false', INFERENCE_SEND_FRAMES: 'true' } },
        ]
      : [
          { key: 'bytes', env: { INFERENCE_SHARED_MEMORY: 'false' } },
          { key: 'shared-memory', env: { INFERENCE_SHARED_MEMORY: 'true' } },
        ];

try {
  const results = new Map<string, Burst & { burst: number; latencies: number[] }>();
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const run = await runRound(v, r, variants.indexOf(v));
      const acc = results.get(v.key) ?? { seconds: 0, burst: 0, latencies: [], requestBytes: 0, workerCpuS: 0, inferenceCpuS: 0 };
      results.set(v.key, {
        seconds: acc.seconds + run.seconds,
        burst: acc.burst + frames,
        latencies: [...acc.latencies, ...run.latencies],
        requestBytes: acc.requestBytes + run.requestBytes,
        workerCpuS: acc.workerCpuS + run.workerCpuS,
        inferenceCpuS: acc.inferenceCpuS + run.inferenceCpuS,
      });
      log(`round ${r + 1}/${rounds} ${v.key}: ${frames} frames in ${run.seconds.toFixed(2)} s`);
    }
  }
  const round2 = (n: number) => Math.round(n * 100) / 100;
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  const rows = Object.fromEntries(
    [...results].map(([key, x]) => [
      key,
      {
        framesPerSecond: round2(x.burst / x.seconds),
        p50Ms: round2(pct(x.latencies, 50)),
        p95Ms: round2(pct(x.latencies, 95)),
        requestKbPerFrame: round2(x.requestBytes / x.burst / 1000),
        workerCpuMsPerFrame: round2((x.workerCpuS * 1000) / x.burst),
        inferenceCpuMsPerFrame: round2((x.inferenceCpuS * 1000) / x.burst),
      },
    ]),
  );
  const ratio = (a: string, b: string, k: 'framesPerSecond' | 'p50Ms' | 'requestKbPerFrame') => round2(rows[a]![k] / rows[b]![k]);
  const report = {
    compare: args.compare,
    size: `${width}x${height}`,
    frames,
    singleFrames: single,
    cameras,
    rounds,
    workerConcurrency: Number(args.concurrency),
    cores: availableParallelism(),
    results: rows,
    ratios:
      args.compare === 'tiling'
        ? Object.fromEntries(
            variants.slice(1).map((v) => [`${v.key} / whole`, { throughput: ratio(v.key, 'whole', 'framesPerSecond'), p50: ratio(v.key, 'whole', 'p50Ms') }]),
          )
        : args.compare === 'frames'
          ? {
              framesVsTensorsThroughput: ratio('frames', 'tensors', 'framesPerSecond'),
              framesVsTensorsP50: ratio('frames', 'tensors', 'p50Ms'),
              framesVsTensorsRequestBytes: ratio('frames', 'tensors', 'requestKbPerFrame'),
            }
          : { sharedMemoryVsBytesThroughput: ratio('shared-memory', 'bytes', 'framesPerSecond'), sharedMemoryVsBytesP50: ratio('shared-memory', 'bytes', 'p50Ms') },
  };
  if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    console.log(`per round: ${single} frames one at a time, then ${frames} at once over ${cameras} cameras; ${rounds} rounds, worker concurrency ${args.concurrency}, ${report.cores} cores`);
    console.log('variant        burst frames/s   one-at-a-time p50 ms   p95 ms   KB/frame in   worker CPU ms   inference CPU ms');
    for (const [k, x] of Object.entries(rows)) {
      console.log(
        `${k.padEnd(15)} ${x.framesPerSecond.toFixed(2).padStart(14)} ${x.p50Ms.toFixed(1).padStart(22)} ${x.p95Ms.toFixed(1).padStart(8)} ${x.requestKbPerFrame.toFixed(1).padStart(13)} ${x.workerCpuMsPerFrame.toFixed(1).padStart(15)} ${x.inferenceCpuMsPerFrame.toFixed(1).padStart(18)}`,
      );
    }
    for (const [k, v] of Object.entries(report.ratios)) console.log(`${k}: ${JSON.stringify(v)}`);
  }
} finally {
  services.killAll();
  redis.disconnect();
  await s3.stop();
  await redisServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

/** What one burst of --frames frames cost: its wall time, the bytes the server received in messages, each process's CPU. */
interface Burst {
  seconds: number;
  requestBytes: number;
  workerCpuS: number;
  inferenceCpuS: number;
}

/** A process's user + system CPU seconds so far, all its threads (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** The inference server's riverwatch_inference_request_bytes_total, all models (its metrics port is in its "ready" log line). */
async function requestBytes(inference: ServiceProcess): Promise<number> {
  const port = /"msg":"inference server ready"/.test(inference.output()) ? /"metricsPort":(\d+)/.exec(inference.output())?.[1] : undefined;
  if (!port) throw new Error('the inference server logged no metrics port');
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^riverwatch_inference_request_bytes_total\{[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

/** One round of one variant: fresh inference and worker processes, a fresh key prefix. */
async function runRound(v: Variant, round: number, index: number): Promise<Burst & { latencies: number[] }> {
  const prefix = `b${round}v${index}`;
  const keys = new RedisKeys(prefix);
  const grpcPort = await freePort();
  const env = serviceEnv({
    redisUrl: redisServer.url,
    s3,
    prefix,
    extra: {
      GRPC_PORT: String(grpcPort),
      INFERENCE_TARGETS: `127.0.0.1:${grpcPort}`,
      INFERENCE_ALLOW_CLIENT_SHM: 'true',
      WORKER_CONCURRENCY: args.concurrency!,
      REVIEW_INTERVAL_SECONDS: '0',
      ...v.env,
    },
  });
  const inference = await services.start('inference', env);
  const worker = await services.start('worker', env);
  const ids = Array.from({ length: cameras }, (_, i) => `cam-${i}`);
  await registerCameras(redis, keys, ids.map((id) => benchCamera(id, { maxWidth: width, ...v.camera })));
  const queueConnection = createRedis(redisServer.url);
  const eventsConnection = createRedis(redisServer.url, 'blocking');
  const queue = new Queue<FrameJob>(QueueName.frames, { connection: queueConnection, prefix: keys.queuePrefix });
  queue.setMaxListeners(frames + 16); // waitUntilFinished listens for the queue closing, once per job
  const events = await openQueueEvents(QueueName.frames, eventsConnection, keys.queuePrefix);
  try {
    // Warm-up: one frame per camera (sessions, water masks, first allocations).
    await Promise.all(ids.map(async (id) => (await enqueue(queue, keys, id, 0)).waitUntilFinished(events, 120_000)));
    const latencies: number[] = [];
    for (let i = 0; i < single; i++) {
      const job = await enqueue(queue, keys, ids[0]!, 1 + i);
      await job.waitUntilFinished(events, 60_000);
      const done = (await queue.getJob(job.id!))!;
      latencies.push(done.finishedOn! - done.timestamp);
    }
    const before = { bytes: await requestBytes(inference), worker: cpuSeconds(worker.pid), inference: cpuSeconds(inference.pid) };
    const t0 = performance.now();
    const jobs: Job<FrameJob>[] = [];
    for (let i = 0; i < frames; i++) jobs.push(await enqueue(queue, keys, ids[i % cameras]!, 1 + single + Math.floor(i / cameras)));
    await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 300_000)));
    const seconds = (performance.now() - t0) / 1000;
    return {
      seconds,
      latencies,
      requestBytes: (await requestBytes(inference)) - before.bytes,
      workerCpuS: cpuSeconds(worker.pid) - before.worker,
      inferenceCpuS: cpuSeconds(inference.pid) - before.inference,
    };
  } finally {
    await events.close();
    await queue.close();
    queueConnection.disconnect();
    eventsConnection.disconnect();
    for (const p of [worker, inference]) await services.stop(p);
  }
}

async function enqueue(queue: Queue<FrameJob>, keys: RedisKeys, cameraId: string, seq: number): Promise<Job<FrameJob>> {
  const frameId = newId('frm');
  await redis.set(keys.frame(frameId), jpegs[seq % jpegs.length]!, 'EX', 600);
  const job: FrameJob = { cameraId, frameId, capturedAt: 1_700_000_000_000 + seq * 500, seq, width, height, source: 'camera' };
  return queue.add('frame', job, frameJobOptions(frameId, 1));
}
