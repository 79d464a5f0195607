/**
 * npm run bench:inference [-- --json] [--model DIR] [--seconds N] [--rounds N] [--threads N] [--provider cpu|cuda]
 *
 * One model, one thread budget, side by side in one run: onnxruntime in this
 * process versus the same model through the gRPC inference server (a child
 * process), at concurrency 1 and 8, with and without dynamic batching, and
 * with tensors in the message or in shared memory (a worker on the server's host).
 * Scenarios are interleaved over several rounds so a noisy neighbour hurts all alike.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { modelVersions } from '@riverwatch/common';
import { sessionOptions } from '@riverwatch/inference';
import { InferenceClient, tuneGcForTensorTraffic, type TensorDatatype } from '@riverwatch/inference-client';
import { closedLoop, summarize, type LoadStats } from './inference-load.ts';
import { startInferenceServerChild } from './inference-server.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    model: { type: 'string', default: join(ROOT, 'models/debris-yolov5') },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'queue-delay-ms': { type: 'string' },
    provider: { type: 'string', default: 'cpu' },
  },
});
const log = (msg: string) => process.stderr.write(msg + '\n');
// As the worker should: incremental marking off in this (client) process; the server child does the same
// itself. INFERENCE_V8_INCREMENTAL_MARKING=true keeps V8's default in both (the figures before this change).
const gcTuned = tuneGcForTensorTraffic();

const modelDir = resolve(args.model!);
if (!existsSync(join(modelDir, 'config.json'))) {
  log(`no model at ${modelDir} (config.json missing); pass --model DIR, e.g. --model test/fixtures/models/tiny-detector`);
  process.exit(2);
}
const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as {
  name: string;
  maxBatchSize: number;
  dynamicBatching?: { maxQueueDelayMs: number; maxQueueSize?: number };
};
const [version] = await modelVersions(modelDir);
if (!version) {
  log(`no <version>/model.onnx under ${modelDir}`);
  process.exit(2);
}
const modelPath = join(modelDir, version, 'model.onnx');
const threads = Number(args.threads);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const name = basename(modelDir);

// The request: one sample of the model's input, random pixels.
// Same session options as the server's sessions: same engine, same thread budget.
if (args.provider !== 'cpu' && args.provider !== 'cuda') throw new Error('--provider must be cpu or cuda');
const providers = args.provider === 'cuda' ? ['cuda'] : ['cpu'];
const probe = await ort.InferenceSession.create(modelPath, { ...sessionOptions(threads), executionProviders: providers });
const meta = probe.inputMetadata[0];
if (!meta.isTensor) throw new Error('first input is not a tensor');
const shape = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : NaN));
if (shape.some(Number.isNaN)) throw new Error(`input ${meta.name} has free non-batch dims ${JSON.stringify(meta.shape)}`);
const count = shape.reduce((a, b) => a * b, 1);
// FP32, FP16 or UINT8 (raw pixels, normalised inside the graph) inputs.
const kind = meta.type === 'float16' ? 'FP16' : meta.type === 'uint8' ? 'UINT8' : 'FP32';
const datatype: TensorDatatype = kind;
const pixels = Float32Array.from({ length: count }, () => Math.random());
const data =
  kind === 'FP16'
    ? Buffer.from(Uint16Array.from(pixels, (v) => toHalf(v)).buffer)
    : kind === 'UINT8'
      ? Buffer.from(Uint8Array.from(pixels, (v) => Math.round(v * 255)).buffer)
      : Buffer.from(pixels.buffer);
const inProcessData = kind === 'FP16' ? new Uint16Array(data.buffer) : kind === 'UINT8' ? new Uint8Array(data.buffer) : pixels;
const inProcessFeeds = { [meta.name]: new ort.Tensor(meta.type, inProcessData, shape) };

// A repository with the model twice: as shipped with dynamic batching, and with batching off.
const repo = mkdtempSync(join(tmpdir(), 'rw-bench-'));
const batchedName = `${name}`;
const unbatchedName = `${name}-unbatched`;
// The shipped configuration again, for the shared-memory client (the server's metrics are per model).
const shmName = `${name}-shm`;
const delay = Number(args['queue-delay-ms'] ?? config.dynamicBatching?.maxQueueDelayMs ?? 2);
for (const [dir, batching] of [
  [batchedName, { maxQueueDelayMs: delay, maxQueueSize: 1024 }],
  [shmName, { maxQueueDelayMs: delay, maxQueueSize: 1024 }],
  [unbatchedName, undefined],
] as const) {
  cpSync(join(modelDir, version), join(repo, dir, '1'), { recursive: true });
  writeFileSync(join(repo, dir, 'config.json'), JSON.stringify({ ...config, name: dir, instances: 1, dynamicBatching: batching }));
}

const child = await startInferenceServerChild(repo, { threads, provider: args.provider as 'cpu' | 'cuda' });
const clientOptions = { deadlineMs: 120_000, maxMessageBytes: 256 * 1024 * 1024 };
const client = new InferenceClient([`127.0.0.1:${child.port}`], clientOptions);
const shmClient = new InferenceClient([`127.0.0.1:${child.port}`], { ...clientOptions, sharedMemory: true, sharedMemorySlots: 8 });

// The in-process baseline runs one session.run at a time, as the server does per instance:
// concurrent run() calls on one session oversubscribe the cores (see 'in-process-concurrent').
let chain: Promise<unknown> = Promise.resolve();
const serialRun = () => {
  const next = chain.then(() => probe.run(inProcessFeeds));
  chain = next.catch(() => {});
  return next;
};

type Scenario = { key: string; run: () => Promise<unknown>; served?: string };
const scenarios: Scenario[] = [
  { key: 'in-process', run: serialRun },
  { key: 'in-process-concurrent', run: () => probe.run(inProcessFeeds) },
  { key: 'served', run: () => client.infer(unbatchedName, [{ name: meta.name, datatype, shape, data }]), served: unbatchedName },
  { key: 'served-batched', run: () => client.infer(batchedName, [{ name: meta.name, datatype, shape, data }]), served: batchedName },
  { key: 'served-batched-shm', run: () => shmClient.infer(shmName, [{ name: meta.name, datatype, shape, data }]), served: shmName },
];
const concurrencies = [1, 8];

try {
  for (const s of scenarios) for (let i = 0; i < 5; i++) await s.run(); // warm-up: first runs allocate
  const latencies = new Map<string, number[]>();
  const elapsed = new Map<string, number>();
  const server = new Map<string, ServerTimes>();
  const cpu = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const c of concurrencies) {
      for (const s of scenarios) {
        const id = `${s.key}@${c}`;
        const before = s.served ? await serverTimes(s.served) : undefined;
        const cpu0 = cpuMs();
        const t0 = performance.now();
        const l = await closedLoop(s.run, c, seconds);
        elapsed.set(id, (elapsed.get(id) ?? 0) + (performance.now() - t0) / 1000);
        cpu.set(id, (cpu.get(id) ?? 0) + cpuMs() - cpu0);
        if (s.served && before) {
          const after = await serverTimes(s.served);
          const acc = server.get(id) ?? { computeS: 0, runs: 0, queueS: 0, requests: 0, inServerS: 0 };
          const k = Object.keys(acc) as (keyof ServerTimes)[];
          server.set(id, Object.fromEntries(k.map((f) => [f, acc[f] + after[f] - before[f]])) as ServerTimes);
        }
        latencies.set(id, [...(latencies.get(id) ?? []), ...l]);
        log(`round ${r + 1}/${rounds} ${id}: ${l.length} requests`);
      }
    }
  }
  type Row = LoadStats & {
    cpuMsPerRequest: number;
    serverComputeMsPerRun?: number;
    serverQueueMs?: number;
    meanBatch?: number;
    /** Mean time a request spent inside the server (riverwatch_inference_request_seconds). */
    inServerMs?: number;
    /** Mean client latency minus inServerMs: both gRPC stacks, HTTP/2 and the socket. */
    transportMs?: number;
  };
  const results: Record<string, Record<string, Row>> = {};
  for (const s of scenarios) {
    results[s.key] = {};
    for (const c of concurrencies) {
      const id = `${s.key}@${c}`;
      const stats = summarize(latencies.get(id)!, elapsed.get(id)!);
      const row: Row = { ...stats, cpuMsPerRequest: Math.round((cpu.get(id)! / stats.requests) * 100) / 100 };
      const srv = server.get(id);
      if (srv && srv.runs) {
        row.serverComputeMsPerRun = Math.round((srv.computeS / srv.runs) * 100000) / 100;
        row.serverQueueMs = Math.round((srv.queueS / srv.requests) * 100000) / 100;
        row.meanBatch = Math.round((srv.requests / srv.runs) * 100) / 100;
        row.inServerMs = Math.round((srv.inServerS / srv.requests) * 100000) / 100;
        row.transportMs = Math.round((stats.mean - row.inServerMs) * 100) / 100;
      }
      results[s.key][`c${c}`] = row;
    }
  }
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  const ratios = {
    servedVsInProcessThroughputC8: ratio(results.served.c8.throughput, results['in-process'].c8.throughput),
    batchedVsInProcessThroughputC8: ratio(results['served-batched'].c8.throughput, results['in-process'].c8.throughput),
    servedP50OverheadC1: ratio(results.served.c1.p50 - results['in-process'].c1.p50, results['in-process'].c1.p50),
    batchedP50OverheadC1: ratio(results['served-batched'].c1.p50 - results['in-process'].c1.p50, results['in-process'].c1.p50),
    shmVsInProcessThroughputC8: ratio(results['served-batched-shm'].c8.throughput, results['in-process'].c8.throughput),
    shmP50OverheadC1: ratio(results['served-batched-shm'].c1.p50 - results['in-process'].c1.p50, results['in-process'].c1.p50),
    batchedVsUnbatchedThroughputC8: ratio(results['served-batched'].c8.throughput, results.served.c8.throughput),
    batchedVsUnbatchedP95C8: ratio(results['served-batched'].c8.p95, results.served.c8.p95),
    // CPU time (client + server processes) per request vs in-process: what throughput a dedicated machine could reach.
    inProcessVsServedCpuC8: ratio(results['in-process'].c8.cpuMsPerRequest, results.served.c8.cpuMsPerRequest),
    inProcessVsBatchedCpuC8: ratio(results['in-process'].c8.cpuMsPerRequest, results['served-batched'].c8.cpuMsPerRequest),
  };
  // Served = the shipped configuration (dynamic batching on, from config.json), tensors in the
  // message (any network) or in shared memory (same host); the unbatched server is for reference.
  const targets = {
    'served/in-process throughput at c8 >= 0.90 (tensors in the message)': ratios.batchedVsInProcessThroughputC8 >= 0.9,
    'served/in-process throughput at c8 >= 0.90 (shared memory)': ratios.shmVsInProcessThroughputC8 >= 0.9,
    'served p50 overhead at c1 <= 10% (tensors in the message)': ratios.batchedP50OverheadC1 <= 0.1,
    'served p50 overhead at c1 <= 10% (shared memory)': ratios.shmP50OverheadC1 <= 0.1,
    'batched throughput >= unbatched at c8': ratios.batchedVsUnbatchedThroughputC8 >= 1,
    'batched p95 <= 2x unbatched at c8': ratios.batchedVsUnbatchedP95C8 <= 2,
  };
  const report = {
    model: name,
    version,
    input: { name: meta.name, datatype, shape },
    provider: args.provider,
    threads,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    onnxruntime: ort.env.versions.common,
    secondsPerScenarioPerRound: seconds,
    rounds,
    dynamicBatching: { maxBatchSize: config.maxBatchSize, maxQueueDelayMs: delay },
    incrementalMarking: !gcTuned,
    results,
    ratios,
    targets,
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    console.log(`model ${name} v${version} input ${datatype}[${shape.join(',')}], ${threads} intra-op threads, ${report.cores} cores (${report.cpu})`);
    console.log('scenario               conc    req/s  mean ms   p50 ms   p95 ms   p99 ms  cpu ms/req   server: compute ms/run  queue ms  batch  in server ms  transport ms');
    for (const s of scenarios) {
      for (const c of concurrencies) {
        const x = results[s.key][`c${c}`];
        const f = (n: number | undefined, w = 8) => (n === undefined ? '' : n.toFixed(2)).padStart(w);
        console.log(
          `${s.key.padEnd(22)} ${String(c).padStart(4)} ${f(x.throughput)} ${f(x.mean)} ${f(x.p50)} ${f(x.p95)} ${f(x.p99)} ${f(x.cpuMsPerRequest, 11)}   ${f(x.serverComputeMsPerRun, 21)} ${f(x.serverQueueMs, 9)} ${f(x.meanBatch, 6)} ${f(x.inServerMs, 13)} ${f(x.transportMs, 13)}`,
        );
      }
    }
    for (const [k, v] of Object.entries(ratios)) console.log(`${k}: ${v}`);
    for (const [k, v] of Object.entries(targets)) console.log(`${v ? 'PASS' : 'MISS'} ${k}`);
  }
} finally {
  client.close();
  shmClient.close();
  await child.stop();
  await probe.release();
  rmSync(repo, { recursive: true, force: true });
}

/** CPU time of this process and the server process, in ms (Linux /proc; the server counts 0 elsewhere). */
function cpuMs(): number {
  const own = process.cpuUsage();
  let server = 0;
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    server = (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (CLK_TCK = 100 on Linux)
  } catch {
    // not Linux
  }
  return (own.user + own.system) / 1000 + server;
}

type ServerTimes = { computeS: number; runs: number; queueS: number; requests: number; inServerS: number };

/** Server-side totals for one model from its Prometheus text. */
async function serverTimes(model: string): Promise<ServerTimes> {
  const text = await (await fetch(`http://127.0.0.1:${child.metricsPort}/metrics`)).text();
  const value = (series: string, extra = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${series}{model="${model}"${extra}}`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  return {
    computeS: value('riverwatch_inference_compute_seconds_sum'),
    runs: value('riverwatch_inference_compute_seconds_count'),
    queueS: value('riverwatch_inference_queue_seconds_sum'),
    requests: value('riverwatch_inference_queue_seconds_count'),
    inServerS: value('riverwatch_inference_request_seconds_sum', ',status="OK"'),
  };
}

function toHalf(v: number): number {
  // Inputs are in [0, 1): normal halves, rounding the mantissa down is fine for a benchmark.
  if (v === 0) return 0;
  const exp = Math.floor(Math.log2(v));
  const mant = Math.floor((v / 2 ** exp - 1) * 1024);
  return ((exp + 15) << 10) | mant;
}
