/**
 * npm run bench:intra-op [-- --json] [--model DIR] [--frame JPEG] [--specs 1x2,1x4,1x8,2x1] [--seconds N] [--rounds N]
 *
 * How many onnxruntime intra-op threads (and model instances) an inference server should run on the
 * CPUs it has. Each spec is INSTANCESxTHREADS: an inference server process (as in production) whose
 * detector has that many instances (config.json `instances`, each a session on its own thread) of that
 * many intra-op threads each (INFERENCE_INTRA_OP_THREADS). A request is one real frame's tiles as the
 * worker sends them (test/fixtures/tiling/river-1280x720.jpg through the model's config.json tiling:
 * one batch), through shared memory (so the transport costs little and the same for every spec), and
 * answered with detections (each server's peak RSS is reported too). At concurrency 1 (p50 per frame) and 8 (frames/s), every spec in each
 * round, in a new order each round; all servers stay up (idle ones sleep: spinning is off).
 * The baseline is the first spec; by default 1 x the CPUs this process may use, what the server runs
 * when INFERENCE_INTRA_OP_THREADS is unset (services/inference/src/intra-op-threads.ts). The other
 * default specs are what onnxruntime would start by itself on a machine with 2x and 4x more cores than
 * the container is given, and one single-threaded instance per CPU.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { modelVersions, type ModelConfig } from '@riverwatch/common';
import { intraOpThreads } from '@riverwatch/inference';
import { InferenceClient, tuneGcForTensorTraffic } from '@riverwatch/inference-client';
import { DETECTIONS_OUTPUT, preprocessTiles, resolveTiling } from '@riverwatch/vision';
import { closedLoop, shuffled, summarize } from './inference-load.ts';
import { startInferenceServerChild, type ServerChild } from './inference-server.ts';

const ROOT = new URL('../', import.meta.url).pathname;
/** What the server runs with INFERENCE_INTRA_OP_THREADS unset (read once: it is files under /proc and /sys). */
const unset = intraOpThreads(0);
const own = unset.threads;
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    model: { type: 'string', default: join(ROOT, 'models/debris-yolov5') },
    frame: { type: 'string', default: join(ROOT, 'test/fixtures/tiling/river-1280x720.jpg') },
    specs: { type: 'string', default: [`1x${own}`, `1x${2 * own}`, `1x${4 * own}`, ...(own > 1 ? [`${own}x1`] : [])].join(',') },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`bench:intra-op: ${msg}\n`);
  process.exit(2);
}
const specs = args.specs!.split(',').map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) fail(`--specs takes INSTANCESxTHREADS items like 1x2,2x1; got "${s}"`);
  return { id: s.trim(), instances: Number(m[1]), threads: Number(m[2]) };
});
if (new Set(specs.map((s) => s.id)).size !== specs.length) fail('--specs lists a spec twice');
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
if (!(seconds > 0) || !(rounds >= 1)) fail('--seconds must be > 0 and --rounds >= 1');

const modelDir = resolve(args.model!);
const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as ModelConfig;
if (config.task !== 'detect') fail(`${modelDir} is not a detector`);
const [version] = await modelVersions(modelDir);
if (!version) fail(`no <version>/model.onnx under ${modelDir}`);
const tiles = await preprocessTiles(readFileSync(args.frame!), config, resolveTiling(config));
const input = { name: config.input.name, datatype: config.input.dtype, shape: tiles.shape, data: tiles.tensor };
const log = (msg: string) => process.stderr.write(msg + '\n');
tuneGcForTensorTraffic(); // as the worker does

/** One server per spec: a repository with the detector at that many instances, served with that many threads each. */
async function serve(instances: number, threads: number): Promise<{ child: ServerChild; client: InferenceClient; repo: string; run: () => Promise<unknown> }> {
  const repo = mkdtempSync(join(tmpdir(), 'rw-intra-op-'));
  cpSync(join(modelDir, version), join(repo, config.name, version), { recursive: true });
  writeFileSync(join(repo, config.name, 'config.json'), JSON.stringify({ ...config, instances }));
  const child = await startInferenceServerChild(repo, { threads });
  const client = new InferenceClient([`127.0.0.1:${child.port}`], { deadlineMs: 120_000, maxMessageBytes: 256 * 1024 * 1024, sharedMemory: true, sharedMemorySlots: 8 });
  const run = () => client.infer(config.name, [input], { outputs: [DETECTIONS_OUTPUT] });
  for (let i = 0; i < 2 * instances + 1; i++) await run(); // first runs allocate
  await closedLoop(run, 8, 1);
  return { child, client, repo, run };
}

const pools = new Map<string, Awaited<ReturnType<typeof serve>>>();
const c1 = new Map<string, number[]>(specs.map((s) => [s.id, []]));
const c8 = new Map<string, number[]>(specs.map((s) => [s.id, []]));
/** Wall time of each spec's c8 loops: the calls in flight at the end finish after `seconds`. */
const c8Seconds = new Map<string, number>(specs.map((s) => [s.id, 0]));
/** Each server's peak resident memory (VmHWM), MB: what its sessions' arenas grew to. */
const peakRssMB = new Map<string, number | null>();
const peakRss = (pid: number): number | null => {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Math.round(Number(kb) / 1024) : null;
};
try {
  for (const s of specs) pools.set(s.id, await serve(s.instances, s.threads));
  for (let r = 0; r < rounds; r++) {
    for (const s of shuffled(specs)) {
      const p = pools.get(s.id)!;
      c1.get(s.id)!.push(...(await closedLoop(p.run, 1, seconds)));
      const t0 = performance.now();
      c8.get(s.id)!.push(...(await closedLoop(p.run, 8, seconds)));
      c8Seconds.set(s.id, c8Seconds.get(s.id)! + (performance.now() - t0) / 1000);
    }
    log(`round ${r + 1}/${rounds} done`);
  }
  for (const s of specs) peakRssMB.set(s.id, peakRss(pools.get(s.id)!.child.pid));
} finally {
  for (const p of pools.values()) {
    p.client.close();
    await p.child.stop();
    rmSync(p.repo, { recursive: true, force: true });
  }
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const rows = specs.map((s) => {
  const one = summarize(c1.get(s.id)!, (c1.get(s.id)!.reduce((a, b) => a + b, 0) || 1) / 1000);
  const eight = summarize(c8.get(s.id)!, c8Seconds.get(s.id)!);
  return { spec: s.id, instances: s.instances, threads: s.threads, c1P50Ms: one.p50, c1P95Ms: one.p95, c8FramesPerS: eight.throughput, c8P50Ms: eight.p50, serverPeakRssMB: peakRssMB.get(s.id) ?? null };
});
const base = rows[0]!;
const report = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model ?? 'unknown',
  availableParallelism: availableParallelism(),
  intraOpThreadsUnset: unset,
  model: config.name,
  inputsPerFrame: tiles.shape[0],
  inputShape: tiles.shape,
  seconds,
  rounds,
  baseline: base.spec,
  rows: rows.map((r) => ({ ...r, c1VsBaseline: r3(r.c1P50Ms / base.c1P50Ms), c8VsBaseline: r3(r.c8FramesPerS / base.c8FramesPerS) })),
};
if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
else {
  console.log(`${report.model}, ${report.inputsPerFrame} inputs per frame, ${report.availableParallelism} CPUs (${report.cpu}); baseline ${report.baseline}`);
  console.log('spec      c1 p50 ms  x base   c8 frames/s  x base  server peak RSS MB');
  for (const r of report.rows) {
    console.log(`${r.spec.padEnd(9)} ${r.c1P50Ms.toFixed(1).padStart(9)} ${r.c1VsBaseline.toFixed(3).padStart(7)} ${r.c8FramesPerS.toFixed(2).padStart(13)} ${r.c8VsBaseline.toFixed(3).padStart(7)} ${String(r.serverPeakRssMB).padStart(19)}`);
  }
}
