/**
 * npm run bench:inference [-- --json] [--model DIR] [--seconds N] [--rounds N] [--threads N] [--provider cpu|cuda] [--queue-delay-ms N] [--batching on|off]
 *                         [--processes per-round|once]
 *
 * One detector, one thread budget, side by side in one run, each at concurrency 1 and 8:
 *   in-process:  onnxruntime in this process, then decode + NMS here with the model's postprocess settings;
 *   served:      the inference server (a child process) doing the same decode + NMS on its session thread
 *                (config.json postprocess) and answering `detections`; tensors as bytes in the message;
 *   served-shm:  the same with tensors in shared memory (a worker on the server's host);
 *   served-raw:  the server answering the raw grid, decoded here (the worker before server-side post-processing);
 * and, at concurrency 1, the floor (bench:inference-floor's rows): the model on a session thread behind
 * grpc-js in another process with no tensor moved (floor-grpc-js), the same with the request carrying
 * the input tensor's bytes, which that server ignores (floor-grpc-js-tensor: what moving the tensor
 * through grpc-js costs by itself), and the same session in this process (floor-in-process).
 * Targets: served c8 throughput >= 0.95 of in-process; served c1 p50 overhead no more than 1.0 ms
 * above the floor's overhead measured in the same run.
 * The input is a real frame (test/fixtures/tiling/river-1280x720.jpg) as the model's config.json
 * pre-processes it, so the decoder sees real candidates. A noisy neighbour should hurt all scenarios
 * alike: at concurrency 1 they run call by call in a shuffled order (interleavedLoop), at 8 one after
 * the other in each of several rounds. Each c1 round after the first runs on server processes of its
 * own (--processes once: one pair for the whole run), so the c1 rows pool several placements of the
 * processes on the cores; c8 runs first, on the first pair.
 *
 * --provider cuda: every session (in process, the server's, the floor's) on onnxruntime's CUDA execution
 * provider; exits 3 with a message when it cannot be loaded or a process runs without it (fell back to CPU).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { constants as perfConstants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { modelVersions, type ModelConfig } from '@riverwatch/common';
import { sessionOptions } from '@riverwatch/inference';
import { InferenceClient, tuneGcForTensorTraffic, type Tensor } from '@riverwatch/inference-client';
import { decodeDetections, DETECTIONS_OUTPUT, preprocess, serverPostprocess, type InferTensor } from '@riverwatch/vision';
import { floorGrpcClient, forkFloorServer } from './floor-grpc.ts';
import { floorSession } from './floor-session.ts';
import { c1AboveFloor, closedLoop, interleavedLoop, shuffled, summarize, type C1AboveFloor, type LoadStats } from './inference-load.ts';
import { startInferenceServerChild, type ServerChild } from './inference-server.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    model: { type: 'string', default: join(ROOT, 'models/debris-yolov5') },
    frame: { type: 'string', default: join(ROOT, 'test/fixtures/tiling/river-1280x720.jpg') },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'queue-delay-ms': { type: 'string' },
    // off: the served copies run request by request (no dynamicBatching block), for comparison.
    batching: { type: 'string', default: 'on' },
    provider: { type: 'string', default: 'cpu' },
    // per-round: fresh server processes every round (a run pools several placements); once: one pair for the run.
    processes: { type: 'string', default: 'per-round' },
  },
});
const log = (msg: string) => process.stderr.write(msg + '\n');
/** How far the two in-process c1 p50s of one run may differ for its c1 overheads to count. */
const MAX_BASELINE_SPREAD_MS = 0.5;
/** A clear reason and a non-zero exit, never a stack trace (gpu-check.sh relays the message). */
function fail(code: number, msg: string): never {
  log(`bench:inference: ${msg}`);
  process.exit(code);
}
// As the worker should: incremental marking off in this (client) process; the server child does the same
// itself. INFERENCE_V8_INCREMENTAL_MARKING=true keeps V8's default in both.
const gcTuned = tuneGcForTensorTraffic();
// This process's mark-compacts, as they are reported (the server's come from its /metrics).
let clientMajorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) clientMajorGcs++;
  }
}).observe({ entryTypes: ['gc'] });

const provider = args.provider === 'cpu' || args.provider === 'cuda' ? args.provider : fail(2, `--provider must be cpu or cuda, got ${args.provider}`);
if (args.processes !== 'per-round' && args.processes !== 'once') fail(2, `--processes must be per-round or once, got ${args.processes}`);
const modelDir = resolve(args.model!);
if (!existsSync(join(modelDir, 'config.json'))) fail(2, `no model at ${modelDir} (config.json missing); pass --model DIR`);
const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as ModelConfig;
if (config.task !== 'detect') fail(2, `${modelDir} is not a detector (task ${config.task})`);
const [version] = await modelVersions(modelDir);
if (!version) fail(2, `no <version>/model.onnx under ${modelDir}`);
const modelPath = join(modelDir, version, 'model.onnx');
const threads = Number(args.threads);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const name = basename(modelDir);
// The served copies post-process as the model's config.json says (or with the defaults when it has no block).
const postprocess = { ...(config.postprocess ?? {}), enabled: true };
const pp = serverPostprocess({ ...config, postprocess })!;

// The in-process session: same options as the server's sessions, same thread budget.
const probe = await ort.InferenceSession.create(modelPath, { ...sessionOptions(threads), executionProviders: [provider] }).catch((err: Error) =>
  fail(
    3,
    `--provider ${provider}: onnxruntime's ${provider.toUpperCase()} execution provider is unavailable: ${err.message.split('\n')[0]}. ` +
      (provider === 'cuda' ? 'On a machine with an NVIDIA GPU, bench/gpu-check.sh installs it (ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node, CUDA 12 and cuDNN 9 libraries).' : ''),
  ),
);

// One frame, pre-processed as the worker does for a whole-frame request.
const frame = await preprocess(readFileSync(args.frame!), config);
const input: Tensor = { name: config.input.name, datatype: config.input.dtype, shape: frame.shape, data: frame.tensor };
const ortInput = { [config.input.name]: new ort.Tensor(ortTypeOf(config.input.dtype), typedView(frame.tensor, config.input.dtype) as never, frame.shape) };
const transforms = [frame.transform];

/** onnxruntime's tensor types by their KServe names (what the decoders read). */
const KSERVE: Record<string, string> = { float32: 'FP32', float16: 'FP16', float64: 'FP64', uint8: 'UINT8', int8: 'INT8', int32: 'INT32', int64: 'INT64', bool: 'BOOL' };
const asInfer = (outputs: readonly { name: string; datatype: string; shape: number[]; data: Buffer }[]): InferTensor[] => outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: o.data }));
const fromOrt = (result: ort.InferenceSession.ReturnType): InferTensor[] =>
  Object.entries(result).map(([n, t]) => {
    const v = t.data as ArrayBufferView;
    return { name: n, datatype: KSERVE[t.type] ?? t.type, shape: [...t.dims], data: Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
  });

// A repository with the model three times, all with the shipped dynamic batching (unless --batching off): post-processing
// on (bytes and shared-memory clients, so the server's metrics are per scenario) and off.
const repo = mkdtempSync(join(tmpdir(), 'rw-bench-'));
const delay = Number(args['queue-delay-ms'] ?? config.dynamicBatching?.maxQueueDelayMs ?? 2);
const names = { served: name, shm: `${name}-shm`, raw: `${name}-raw` };
for (const [dir, withPp] of [[names.served, true], [names.shm, true], [names.raw, false]] as const) {
  cpSync(join(modelDir, version), join(repo, dir, '1'), { recursive: true });
  const dynamicBatching = args.batching === 'off' ? undefined : { maxQueueDelayMs: delay, maxQueueSize: 1024 };
  const served = { ...config, name: dir, instances: 1, dynamicBatching, postprocess: withPp ? postprocess : undefined };
  writeFileSync(join(repo, dir, 'config.json'), JSON.stringify(served));
}

const cleanup: (() => unknown)[] = [() => rmSync(repo, { recursive: true, force: true }), () => probe.release()];
const floorLocal = await floorSession(modelPath, threads, provider);
const clientOptions = { deadlineMs: 120_000, maxMessageBytes: 256 * 1024 * 1024 };

/**
 * The two server processes (the inference server, the floor's grpc-js server) and their clients. Which
 * cores a process and its threads settle on, against this one's, holds for a stretch of time, often the
 * process's life, not per call (docs/benchmarks.md, "a server pair per c1 round"): with --processes
 * per-round (the default) every c1 round after the first starts fresh ones, so a run's c1 rows pool
 * several placements instead of resting on one.
 */
type Servers = {
  child: ServerChild;
  floorPid: number;
  client: InferenceClient;
  shmClient: InferenceClient;
  floorClient: ReturnType<typeof floorGrpcClient>;
  floorTensorClient: ReturnType<typeof floorGrpcClient>;
  stop(): Promise<void>;
};
/** Cleans up (the current pair included), then fails with a clear message. */
async function abort(code: number, msg: string): Promise<never> {
  for (const fn of cleanup.reverse()) await fn();
  fail(code, msg);
}
async function startServers(): Promise<Servers> {
  const child = await startInferenceServerChild(repo, { threads, provider }).catch((err: Error) =>
    abort(3, `the inference server did not start with --provider ${provider} (${err.message}); with cuda it refuses to fall back to CPU (INFERENCE_REQUIRE_GPU=true): see its log above`),
  );
  const floorServer = await forkFloorServer('grpc-js', modelPath, threads, provider).catch(async (err: Error) => {
    await child.stop();
    return abort(3, `the floor server did not start with --provider ${provider} (${err.message}): see its log above`);
  });
  let stopped: Promise<void> | undefined;
  const s: Servers = {
    child,
    floorPid: floorServer.child.pid!,
    client: new InferenceClient([`127.0.0.1:${child.port}`], clientOptions),
    shmClient: new InferenceClient([`127.0.0.1:${child.port}`], { ...clientOptions, sharedMemory: true, sharedMemorySlots: 8 }),
    floorClient: floorGrpcClient(floorServer.port),
    // The same floor with the request carrying the input tensor's bytes (ignored by the floor server).
    floorTensorClient: floorGrpcClient(floorServer.port, input.data.byteLength),
    // Once only: a restart that fails after stopping this pair still finds it in cleanup.
    stop: () =>
      (stopped ??= (async () => {
        s.client.close();
        s.shmClient.close();
        s.floorClient.close();
        s.floorTensorClient.close();
        floorServer.child.kill();
        await child.stop();
      })()),
  };
  return s;
}
let current = await startServers();
cleanup.push(() => current.stop());

// The in-process baseline runs one session.run at a time, as the server does per instance, then decodes.
let chain: Promise<unknown> = Promise.resolve();
const inProcess = () => {
  const next = chain.then(async () => decodeDetections(fromOrt(await probe.run(ortInput)), config, transforms, pp.options));
  chain = next.catch(() => {});
  return next;
};
const served = (c: () => InferenceClient, model: string) => async () => decodeDetections(asInfer((await c().infer(model, [input], { outputs: [DETECTIONS_OUTPUT] })).outputs), config, transforms);
const servedRaw = async () => decodeDetections(asInfer((await current.client.infer(names.raw, [input])).outputs), config, transforms, pp.options);

type Scenario = { key: string; run: () => Promise<unknown>; served?: string; concurrencies: number[] };
const scenarios: Scenario[] = [
  { key: 'in-process', run: inProcess, concurrencies: [1, 8] },
  { key: 'served', run: served(() => current.client, names.served), served: names.served, concurrencies: [1, 8] },
  { key: 'served-shm', run: served(() => current.shmClient, names.shm), served: names.shm, concurrencies: [1, 8] },
  { key: 'served-raw', run: servedRaw, served: names.raw, concurrencies: [1, 8] },
  { key: 'floor-in-process', run: floorLocal, concurrencies: [1] },
  { key: 'floor-grpc-js', run: () => current.floorClient.call(), concurrencies: [1] },
  { key: 'floor-grpc-js-tensor', run: () => current.floorTensorClient.call(), concurrencies: [1] },
];

try {
  // Warm-up (first runs allocate; a new server process meets each batch size once); every path must also find the same detections.
  const expected = JSON.stringify(await inProcess());
  const warmUp = async () => {
    for (const s of scenarios) {
      for (let i = 0; i < 5; i++) {
        const got = await s.run();
        if (!s.key.startsWith('floor') && JSON.stringify(got) !== expected) fail(1, `${s.key} found other detections than in-process: ${JSON.stringify(got).slice(0, 300)}`);
      }
    }
    // And at concurrency 8 for a second: a batching server meets each new batch size once, and a first run of a shape is slow.
    for (const s of scenarios) if (s.concurrencies.includes(8)) await closedLoop(s.run, 8, 1);
  };
  await warmUp();
  const onGpu = () => (provider === 'cuda' ? checkOnGpu([[process.pid, 'this process (in-process rows)'], [current.child.pid, 'the inference server'], [current.floorPid, 'the floor server']]) : undefined);
  const gpu = onGpu();
  const answerBytes = {
    detections: (await current.client.infer(names.served, [input], { outputs: [DETECTIONS_OUTPUT] })).outputs.reduce((n, o) => n + o.data.byteLength, 0),
    raw: (await current.client.infer(names.raw, [input])).outputs.reduce((n, o) => n + o.data.byteLength, 0),
  };

  const latencies = new Map<string, number[]>();
  const elapsed = new Map<string, number>();
  const server = new Map<string, ServerTimes>();
  const cpu = new Map<string, PerProcess>();
  const gcs = new Map<string, PerProcess>();
  const addPerProcess = (totals: Map<string, PerProcess>, id: string, before: PerProcess, after: PerProcess) => {
    const t = totals.get(id) ?? { client: 0, server: 0 };
    totals.set(id, { client: t.client + after.client - before.client, server: t.server + after.server - before.server });
  };
  const addServerTimes = (id: string, before: ServerTimes, after: ServerTimes) => {
    const acc = server.get(id) ?? { computeS: 0, runs: 0, decodeS: 0, queueS: 0, requests: 0, inServerS: 0 };
    const k = Object.keys(acc) as (keyof ServerTimes)[];
    server.set(id, Object.fromEntries(k.map((f) => [f, acc[f] + after[f] - before[f]])) as ServerTimes);
  };
  const c1Scenarios = scenarios.filter((s) => s.concurrencies.includes(1));
  /** Each round's c1 figures on its own (p50s of that round's calls): how far one placement of the processes moves them. */
  const c1ByRound: C1AboveFloor[] = [];
  // Concurrency 8 first, all rounds on the first pair of server processes, busy from its warm-up on. Run after
  // restarts instead (after each round's, or on the last round's pair, or on a first pair that idled while the
  // others served), served c8 came out at 0.84-0.95 of in-process in 5 runs of 9, against 2 of 28 on a pair
  // that never idled.
  for (let r = 0; r < rounds; r++) {
    // Concurrency 8: one closed loop per scenario, in turn (each needs the machine to itself), in a new order each round.
    for (const s of shuffled(scenarios.filter((x) => x.concurrencies.includes(8)))) {
      const id = `${s.key}@8`;
      const before = await snapshot();
      const cpu0 = cpuMs();
      const t0 = performance.now();
      const l = await closedLoop(s.run, 8, seconds);
      elapsed.set(id, (elapsed.get(id) ?? 0) + (performance.now() - t0) / 1000);
      addPerProcess(cpu, id, cpu0, cpuMs());
      const after = await snapshot();
      addPerProcess(gcs, id, majorGcs(before), majorGcs(after));
      if (s.served) addServerTimes(id, serverTimes(before, s.served), serverTimes(after, s.served));
      latencies.set(id, [...(latencies.get(id) ?? []), ...l]);
      log(`round ${r + 1}/${rounds} ${id}: ${l.length} requests`);
    }
  }
  for (let r = 0; r < rounds; r++) {
    if (r > 0 && args.processes === 'per-round') {
      await current.stop();
      current = await startServers();
      await warmUp();
      onGpu(); // every pair on the GPU, not only the first
    }
    // Concurrency 1: every scenario in the same stretch of time, call by call (interleavedLoop), so the
    // c1 overheads, differences of p50s, are not differences between two moments of the machine.
    // Each row's throughput is then its own calls over the time they took (1000 / mean ms), and the
    // CPU of one scenario cannot be told apart from the others' (no cpuMsPerRequest at c1).
    const before1 = await snapshot();
    const perScenario = await interleavedLoop(
      c1Scenarios.map((s) => s.run),
      seconds * c1Scenarios.length,
    );
    const after1 = await snapshot();
    for (const [i, s] of c1Scenarios.entries()) {
      const id = `${s.key}@1`;
      const l = perScenario[i]!;
      elapsed.set(id, (elapsed.get(id) ?? 0) + l.reduce((a, b) => a + b, 0) / 1000);
      if (s.served) addServerTimes(id, serverTimes(before1, s.served), serverTimes(after1, s.served));
      latencies.set(id, [...(latencies.get(id) ?? []), ...l]);
    }
    c1ByRound.push(c1AboveFloor((key) => summarize(perScenario[c1Scenarios.findIndex((s) => s.key === key)]!, 1).p50));
    log(`round ${r + 1}/${rounds} c1, interleaved: ${c1Scenarios.map((s, i) => `${s.key} ${perScenario[i]!.length}`).join(', ')} requests`);
  }
  type Row = LoadStats & {
    /** CPU time per request at c8: this process (the client) plus the server process, and each. */
    cpuMsPerRequest?: number;
    clientCpuMsPerRequest?: number;
    serverCpuMsPerRequest?: number;
    /** V8 mark-compacts (stop-the-world with incremental marking off) per 100 requests at c8, each process. */
    clientMajorGcsPer100?: number;
    serverMajorGcsPer100?: number;
    serverComputeMsPerRun?: number;
    /** Decode + NMS on the session thread per run (all of the run's items). */
    serverDecodeMsPerRun?: number;
    serverQueueMs?: number;
    meanBatch?: number;
    /** Mean time a request spent inside the server (riverwatch_inference_request_seconds). */
    inServerMs?: number;
    /** Mean client latency minus inServerMs: both gRPC stacks, HTTP/2 and the socket. */
    transportMs?: number;
  };
  const results: Record<string, Record<string, Row>> = {};
  const r2 = (n: number) => Math.round(n * 100) / 100;
  for (const s of scenarios) {
    results[s.key] = {};
    for (const c of s.concurrencies) {
      const id = `${s.key}@${c}`;
      const stats = summarize(latencies.get(id)!, elapsed.get(id)!);
      const row: Row = { ...stats };
      const used = cpu.get(id);
      if (used) {
        row.cpuMsPerRequest = r2((used.client + used.server) / stats.requests);
        row.clientCpuMsPerRequest = r2(used.client / stats.requests);
        row.serverCpuMsPerRequest = r2(used.server / stats.requests);
      }
      const g = gcs.get(id);
      if (g) {
        row.clientMajorGcsPer100 = r2((100 * g.client) / stats.requests);
        row.serverMajorGcsPer100 = r2((100 * g.server) / stats.requests);
      }
      const srv = server.get(id);
      if (srv && srv.runs) {
        row.serverComputeMsPerRun = r2((srv.computeS / srv.runs) * 1000);
        if (srv.decodeS) row.serverDecodeMsPerRun = r2((srv.decodeS / srv.runs) * 1000);
        row.serverQueueMs = r2((srv.queueS / srv.requests) * 1000);
        row.meanBatch = r2(srv.requests / srv.runs);
        row.inServerMs = r2((srv.inServerS / srv.requests) * 1000);
        row.transportMs = r2(stats.mean - row.inServerMs);
      }
      results[s.key][`c${c}`] = row;
    }
  }
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  const x = results;
  // The two in-process c1 rows run the same session in this process, in interleaved rounds: when
  // their p50s disagree, the machine changed under the run and no c1 overhead can be read from it.
  const pooled = c1AboveFloor((key) => x[key]!.c1!.p50);
  const { baselineSpreadMs, floorOverheadMs } = pooled;
  const c1Readable = baselineSpreadMs <= MAX_BASELINE_SPREAD_MS;
  const overheadMs = (key: string) => r2(x[key].c1.p50 - x['in-process'].c1.p50);
  const tensorTransportMs = r2(x['floor-grpc-js-tensor'].c1.p50 - x['floor-grpc-js'].c1.p50);
  const ratios = {
    servedVsInProcessThroughputC8: ratio(x.served.c8.throughput, x['in-process'].c8.throughput),
    shmVsInProcessThroughputC8: ratio(x['served-shm'].c8.throughput, x['in-process'].c8.throughput),
    rawVsInProcessThroughputC8: ratio(x['served-raw'].c8.throughput, x['in-process'].c8.throughput),
    /** The floor: grpc-js and a session thread in another process, no tensor, minus the same session here. */
    floorP50OverheadC1Ms: floorOverheadMs,
    servedP50OverheadC1Ms: overheadMs('served'),
    shmP50OverheadC1Ms: overheadMs('served-shm'),
    rawP50OverheadC1Ms: overheadMs('served-raw'),
    servedOverheadAboveFloorC1Ms: pooled.servedAboveFloorMs,
    /** What moving the request's tensor through grpc-js costs by itself: the floor with those bytes, minus without. */
    floorTensorTransportC1Ms: tensorTransportMs,
    /** What is left of the served overhead: the inference server's own work (protobuf, checks, thread hand-over, answer). */
    servedServerWorkC1Ms: r2(pooled.servedAboveFloorMs - tensorTransportMs),
    shmOverheadAboveFloorC1Ms: pooled.shmAboveFloorMs,
    /** |in-process - floor-in-process| at c1: above MAX_BASELINE_SPREAD_MS the c1 targets are null (not measured). */
    c1BaselineSpreadMs: baselineSpreadMs,
    servedP50OverheadC1: ratio(x.served.c1.p50 - x['in-process'].c1.p50, x['in-process'].c1.p50),
    // CPU time (client + server processes) per request vs in-process: what a dedicated machine could reach.
    inProcessVsServedCpuC8: ratio(x['in-process'].c8.cpuMsPerRequest!, x.served.c8.cpuMsPerRequest!),
    /** What tensors as bytes cost both processes over shared memory, in CPU ms per request at c8. */
    bytesOverShmCpuC8Ms: r2(x.served.c8.cpuMsPerRequest! - x['served-shm'].c8.cpuMsPerRequest!),
  };
  const targets = {
    'served/in-process throughput at c8 >= 0.95 (bytes)': ratios.servedVsInProcessThroughputC8 >= 0.95,
    'served/in-process throughput at c8 >= 0.95 (shared memory)': ratios.shmVsInProcessThroughputC8 >= 0.95,
    'served p50 overhead at c1 <= floor + 1.0 ms (bytes)': c1Readable ? ratios.servedOverheadAboveFloorC1Ms <= 1.0 : null,
    'served p50 overhead at c1 <= floor + 1.0 ms (shared memory)': c1Readable ? ratios.shmOverheadAboveFloorC1Ms <= 1.0 : null,
  };
  const report = {
    date: new Date().toISOString(),
    model: name,
    version,
    input: { name: input.name, datatype: input.datatype, shape: input.shape },
    postprocess: { format: pp.format, ...pp.options, datatype: pp.datatype },
    provider,
    ...(gpu ? { gpu } : {}),
    threads,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    loadAverage: readLoad(),
    node: process.version,
    onnxruntime: ort.env.versions.common,
    secondsPerScenarioPerRound: seconds,
    rounds,
    processes: args.processes,
    dynamicBatching: args.batching === 'off' ? 'off' : { maxBatchSize: config.maxBatchSize, maxQueueDelayMs: delay },
    incrementalMarking: !gcTuned,
    answerBytes,
    results,
    ratios,
    c1ByRound,
    targets,
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    console.log(`model ${name} v${version} input ${input.datatype}[${input.shape.join(',')}], ${provider}, ${threads} intra-op threads, ${report.cores} cores (${report.cpu}), load ${report.loadAverage}`);
    console.log(`answer per frame: detections ${answerBytes.detections} B, raw grid ${answerBytes.raw} B`);
    console.log('scenario              conc    req/s  mean ms   p50 ms   p95 ms   p99 ms  cpu ms/req   server: compute ms/run  decode ms/run  queue ms  batch  in server ms  transport ms');
    for (const s of scenarios) {
      for (const c of s.concurrencies) {
        const v = x[s.key][`c${c}`];
        const f = (n: number | undefined, w = 8) => (n === undefined ? '' : n.toFixed(2)).padStart(w);
        console.log(
          `${s.key.padEnd(21)} ${String(c).padStart(4)} ${f(v.throughput)} ${f(v.mean)} ${f(v.p50)} ${f(v.p95)} ${f(v.p99)} ${f(v.cpuMsPerRequest, 11)}   ${f(v.serverComputeMsPerRun, 21)} ${f(v.serverDecodeMsPerRun, 14)} ${f(v.serverQueueMs, 9)} ${f(v.meanBatch, 6)} ${f(v.inServerMs, 13)} ${f(v.transportMs, 13)}`,
        );
        if (v.cpuMsPerRequest !== undefined) {
          console.log(`${''.padEnd(26)}cpu ms/req client ${f(v.clientCpuMsPerRequest, 0)} + server ${f(v.serverCpuMsPerRequest, 0)}; mark-compacts per 100 req client ${f(v.clientMajorGcsPer100, 0)}, server ${f(v.serverMajorGcsPer100, 0)}`);
        }
      }
    }
    for (const [k, v] of Object.entries(ratios)) console.log(`${k}: ${v}`);
    console.log(`c1 served above floor by round (${args.processes === 'per-round' ? 'fresh server processes each' : 'the same processes'}): ${c1ByRound.map((c) => c.servedAboveFloorMs).join(', ')} ms`);
    for (const [k, v] of Object.entries(targets)) console.log(`${v === null ? 'UNSURE' : v ? 'PASS' : 'MISS'} ${k}`);
    if (!c1Readable) console.log(`c1 not measured: the in-process baselines differ by ${baselineSpreadMs} ms (> ${MAX_BASELINE_SPREAD_MS}); rerun on a quiet machine`);
  }
} finally {
  for (const fn of cleanup.reverse()) await fn();
}

/**
 * --provider cuda: each process must have onnxruntime's CUDA provider library mapped (a session
 * created with ['cuda'] that loaded it); nvidia-smi's view is reported, not required (a container
 * may not see its own pids there). Exits 3 naming the process that fell back to CPU.
 */
function checkOnGpu(processes: [number, string][]): { name: string; memoryUsedMiB: number; computePids: number[] } {
  for (const [pid, what] of processes) {
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    if (!maps.includes('libonnxruntime_providers_cuda.so')) fail(3, `--provider cuda: ${what} (pid ${pid}) has no CUDA execution provider loaded: it fell back to CPU`);
  }
  const smi = (q: string[]) => {
    try {
      return execFileSync('nvidia-smi', q, { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      return '';
    }
  };
  const [gpuName = 'unknown', used = '0'] = smi(['--query-gpu=name,memory.used', '--format=csv,noheader,nounits']).split('\n')[0]!.split(', ');
  const computePids = smi(['--query-compute-apps=pid', '--format=csv,noheader']).split('\n').filter(Boolean).map(Number);
  return { name: gpuName, memoryUsedMiB: Number(used), computePids };
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

/** A figure for this process (the client) and for the server process. */
type PerProcess = { client: number; server: number };

/** CPU time of this process and the server process, in ms (Linux /proc; the server counts 0 elsewhere). */
function cpuMs(): PerProcess {
  const own = process.cpuUsage();
  let serverMs = 0;
  try {
    const fields = readFileSync(`/proc/${current.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    serverMs = (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (CLK_TCK = 100 on Linux)
  } catch {
    // not Linux
  }
  return { client: (own.user + own.system) / 1000, server: serverMs };
}

/** The server's metrics text and this process's mark-compact count, read together. */
type Snapshot = { metrics: string; clientMajorGcs: number };

async function snapshot(): Promise<Snapshot> {
  // GC entries are delivered after the fact: let pending ones arrive first.
  await new Promise((r) => setImmediate(r));
  const clientMajor = clientMajorGcs;
  return { metrics: await (await fetch(`http://127.0.0.1:${current.child.metricsPort}/metrics`)).text(), clientMajorGcs: clientMajor };
}

/** One sample's value from Prometheus text (0 when the series has none yet). */
function sampleValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Mark-compacts so far in this process and in the server (`nodejs_gc_duration_seconds_count{kind="major"}`). */
function majorGcs(s: Snapshot): PerProcess {
  return { client: s.clientMajorGcs, server: sampleValue(s.metrics, 'nodejs_gc_duration_seconds_count{kind="major"}') };
}

type ServerTimes = { computeS: number; runs: number; decodeS: number; queueS: number; requests: number; inServerS: number };

/** Server-side totals for one model. */
function serverTimes(s: Snapshot, model: string): ServerTimes {
  const value = (series: string, extra = '') => sampleValue(s.metrics, `${series}{model="${model}"${extra}}`);
  return {
    computeS: value('riverwatch_inference_compute_seconds_sum'),
    runs: value('riverwatch_inference_compute_seconds_count'),
    decodeS: value('riverwatch_inference_postprocess_seconds_sum'),
    queueS: value('riverwatch_inference_queue_seconds_sum'),
    requests: value('riverwatch_inference_queue_seconds_count'),
    inServerS: value('riverwatch_inference_request_seconds_sum', ',status="OK"'),
  };
}

function ortTypeOf(dtype: ModelConfig['input']['dtype']): 'float32' | 'float16' | 'uint8' {
  return dtype === 'FP16' ? 'float16' : dtype === 'UINT8' ? 'uint8' : 'float32';
}

/** The pre-processed bytes as the typed array onnxruntime wants for the input's dtype (copied: aligned, and not Node's pool). */
function typedView(bytes: Buffer, dtype: ModelConfig['input']['dtype']): Uint8Array | Uint16Array | Float32Array {
  const copy = Uint8Array.from(bytes).buffer;
  return dtype === 'FP16' ? new Uint16Array(copy) : dtype === 'UINT8' ? new Uint8Array(copy) : new Float32Array(copy);
}
