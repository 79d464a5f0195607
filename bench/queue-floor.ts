/**
 * What one BullMQ job costs Redis, with nothing else around it: the floor under the
 * pipeline's commands per frame (issue 15's target is <= 20), since every camera frame is
 * one job on the frames queue.
 *
 *   npm run bench:queue-floor [-- --json] [--jobs N] [--gap-ms N] [--concurrency N]
 *
 * A local redis-server of its own; a Queue adds `--jobs` jobs and a Worker with a processor
 * that does nothing takes them, with the worker's options (concurrency, lock duration and
 * stalled-job interval as the worker service sets them by default). Two arrivals:
 * - `paced`: a job every `--gap-ms` (default 20 ms, faster than one camera at 5 fps but
 *   slower than the worker), so the worker waits for each job as it does at low load;
 * - `backlog`: every job queued before the worker starts, so each finished job hands the
 *   worker the next one in the same script (the pipeline at saturation).
 * Two job option sets: riverwatch's frame jobs (`frameJobOptions`: job id, 3 attempts with
 * backoff, completed jobs trimmed by age and count) and BullMQ's defaults. Commands are
 * `INFO commandstats` deltas (scripts' own commands included, as Redis counts them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import { createRedis, frameJobOptions, newId } from '@riverwatch/common';
import { startRedis, positiveArg as positive } from './support/pipeline-stack.ts';
import { RedisStatsReader, trafficBetween } from './support/redis-stats.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    jobs: { type: 'string', default: '300' },
    'gap-ms': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
  },
});
const jobs = positive('jobs', args.jobs);
const gapMs = positive('gap-ms', args['gap-ms']);
const concurrency = positive('concurrency', args.concurrency);
const LOCK_MS = 30_000; // WORKER_LOCK_MS's default

type Arrival = 'paced' | 'backlog';
interface Row {
  arrival: Arrival;
  options: 'frame-job' | 'bullmq-default';
  jobs: number;
  commandsPerJob: number;
  scriptCallsPerJob: number;
  byCommand: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(url: string, arrival: Arrival, optionSet: Row['options']): Promise<Row> {
  const name = `floor-${arrival}-${optionSet}`;
  const connection = createRedis(url);
  const blocking = createRedis(url, 'blocking');
  const stats = new RedisStatsReader([url]);
  const queue = new Queue(name, { connection });
  const options = (id: string): JobsOptions => (optionSet === 'frame-job' ? frameJobOptions(id) : {});
  let worker: Worker | undefined;
  let done = 0;
  let allDone: () => void = () => {};
  let failed: (err: Error) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => ((allDone = resolve), (failed = reject)));
  const startWorker = async () => {
    worker = new Worker(name, async () => null, { connection: blocking, concurrency, lockDuration: LOCK_MS, stalledInterval: LOCK_MS });
    worker.on('completed', () => ++done === jobs && allDone());
    worker.on('failed', (_job, err) => failed(err));
    await worker.waitUntilReady();
  };
  try {
    await queue.waitUntilReady();
    if (arrival === 'paced') await startWorker();
    await sleep(200); // the worker's first blocking pop, outside the window
    const before = await stats.read();
    for (let i = 0; i < jobs; i++) {
      const id = newId('frm');
      await queue.add('frame', { i }, { jobId: id, ...options(id) });
      if (arrival === 'paced') await sleep(gapMs);
    }
    if (arrival === 'backlog') await startWorker();
    await finished;
    const traffic = trafficBetween(before, await stats.read(), 1);
    const perJob = (n: number) => Math.round((n / jobs) * 100) / 100;
    return {
      arrival,
      options: optionSet,
      jobs,
      commandsPerJob: perJob(traffic.totalCommands),
      scriptCallsPerJob: perJob((traffic.commands.evalsha ?? 0) + (traffic.commands.eval ?? 0)),
      byCommand: Object.fromEntries(Object.entries(traffic.commands).map(([cmd, n]) => [cmd, perJob(n)])),
    };
  } finally {
    await worker?.close();
    await queue.close();
    stats.close();
    connection.disconnect();
    blocking.disconnect();
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'rw-queue-floor-'));
const redis = await startRedis(dataDir);
const rows: Row[] = [];
try {
  for (const arrival of ['paced', 'backlog'] as const) {
    for (const optionSet of ['frame-job', 'bullmq-default'] as const) rows.push(await measure(redis.url, arrival, optionSet));
  }
} finally {
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

if (args.json) {
  console.log(JSON.stringify({ date: new Date().toISOString(), jobs, gapMs, concurrency, rows }, null, 2));
} else {
  console.log('arrival  options         commands/job  script calls/job  top commands');
  for (const r of rows) {
    const top = Object.entries(r.byCommand).slice(0, 6).map(([c, n]) => `${c} ${n}`).join(', ');
    console.log(`${r.arrival.padEnd(8)} ${r.options.padEnd(15)} ${String(r.commandsPerJob).padStart(12)} ${String(r.scriptCallsPerJob).padStart(17)}  ${top}`);
  }
}
