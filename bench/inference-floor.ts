/**
 * npm run bench:inference-floor [-- --json] [--gap-ms N] [--requests N] [--model DIR] [--threads N]
 *
 * What serving costs on this machine before any tensor moves.
 *
 * Round trips, back to back and after the caller has been idle for --gap-ms (default 17: the
 * shipped detector's compute time, which is how long both processes sleep per request at
 * concurrency 1):
 *   tcp:  a 1-byte echo between two processes (the kernel and wake-up floor);
 *   grpc: ModelInfer through the inference server with a 4 KB model (no shared memory).
 *
 * The detector floor: the shipped detector (--model) at concurrency 1, run in this process
 * (bench:inference's baseline) and served from another process by a session thread that
 * already holds its input, over three transports, so that no tensor ever crosses a thread or
 * a socket; only a 16-byte request and the 8-byte compute time travel:
 *   grpc-js:   @grpc/grpc-js client and server (the stack the inference server is built on);
 *   grpc-js → http2: @grpc/grpc-js client, a bare node:http2 server writing gRPC framing;
 *   http2:     bare node:http2 on both sides.
 * Whatever the inference server does, its concurrency-1 overhead cannot be below its stack's row.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { modelVersions } from '@riverwatch/common';
import { startInferenceServerChild } from './inference-server.ts';
import { floorSession } from './floor-session.ts';
import { FLOOR_METHOD, floorGrpcClient, forkFloorServer } from './floor-grpc.ts';
import { InferenceClient, tuneGcForTensorTraffic } from '@riverwatch/inference-client';

const ROOT = new URL('../', import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    'gap-ms': { type: 'string', default: '17' },
    requests: { type: 'string', default: '300' },
    model: { type: 'string', default: join(ROOT, 'models/debris-yolov5') },
    threads: { type: 'string', default: String(availableParallelism()) },
    // Child mode.
    echo: { type: 'boolean', default: false },
  },
});

async function modelPath(dir: string): Promise<string> {
  const [version] = await modelVersions(dir);
  if (!version) throw new Error(`no <version>/model.onnx under ${dir}`);
  return join(dir, version, 'model.onnx');
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

async function forkChild(childArgs: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(SELF, childArgs, { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((ok, fail) => {
    child.once('message', (m) => ok(m as number));
    child.once('exit', (code) => fail(new Error(`benchmark child ${childArgs.join(' ')} exited with ${code}`)));
  });
  return { child, port };
}

async function main(): Promise<void> {
  const gapMs = Number(args['gap-ms']);
  const requests = Number(args.requests);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  // Interleaved (back to back, then after a gap, several times) so drift hits both alike.
  async function roundTrips(call: () => Promise<unknown>): Promise<{ backToBackMs: number; afterGapMs: number }> {
    for (let i = 0; i < 50; i++) await call();
    const hot: number[] = [];
    const idle: number[] = [];
    for (let block = 0; block < 5; block++) {
      for (let i = 0; i < requests / 5; i++) {
        const t0 = performance.now();
        await call();
        hot.push(performance.now() - t0);
      }
      for (let i = 0; i < requests / 5; i++) {
        await sleep(gapMs);
        const t0 = performance.now();
        await call();
        idle.push(performance.now() - t0);
      }
    }
    return { backToBackMs: round(p50(hot)), afterGapMs: round(p50(idle)) };
  }

  const children: ChildProcess[] = [];
  const cleanup: (() => unknown)[] = [];
  try {
    // Round trips.
    const echo = await forkChild(['--echo']);
    children.push(echo.child);
    const socket = createConnection(echo.port, '127.0.0.1');
    cleanup.push(() => socket.destroy());
    socket.setNoDelay(true);
    await new Promise((r) => socket.once('connect', r));
    const ping = () => new Promise((r) => (socket.once('data', r), socket.write('x')));

    const repo = mkdtempSync(join(tmpdir(), 'rw-floor-'));
    cleanup.push(() => rmSync(repo, { recursive: true, force: true }));
    cpSync(join(ROOT, 'test/fixtures/models/tiny-detector'), join(repo, 'tiny-detector'), { recursive: true });
    const server = await startInferenceServerChild(repo, { threads: 1 });
    cleanup.push(() => server.stop());
    const client = new InferenceClient([`127.0.0.1:${server.port}`], { deadlineMs: 10_000 });
    cleanup.push(() => client.close());
    const data = Buffer.alloc(3 * 32 * 32 * 4);
    const infer = () => client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data }]);

    const ratio = (a: number, b: number) => round(a / b, 2);
    const tcp = await roundTrips(ping);
    const grpcTiny = await roundTrips(infer);

    // The detector floor.
    const threads = Number(args.threads);
    const model = await modelPath(resolve(args.model!));
    const localRun = await floorSession(model, threads);
    const scenarios: { name: string; call: () => Promise<number>; latency: number[]; compute: number[] }[] = [
      { name: 'in-process', call: localRun, latency: [], compute: [] },
    ];
    const viaGrpcJs = (port: number) => {
      const c = floorGrpcClient(port);
      cleanup.push(() => c.close());
      return c.call;
    };
    const grpcJsServer = await forkFloorServer('grpc-js', model, threads);
    const http2Server = await forkFloorServer('http2', model, threads);
    children.push(grpcJsServer.child, http2Server.child);
    const request = Buffer.alloc(16);
    const session = http2.connect(`http://127.0.0.1:${http2Server.port}`);
    cleanup.push(() => session.close());
    const viaHttp2 = () =>
      new Promise<number>((ok, fail) => {
        const stream = session.request({ ':method': 'POST', ':path': FLOOR_METHOD.Run.path, 'content-type': 'application/grpc', te: 'trailers' });
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => ok(Buffer.concat(chunks).readDoubleLE(5)));
        stream.on('error', fail);
        stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, request.length]), request]));
      });
    scenarios.push(
      { name: 'grpc-js', call: viaGrpcJs(grpcJsServer.port), latency: [], compute: [] },
      { name: 'grpc-js → http2', call: viaGrpcJs(http2Server.port), latency: [], compute: [] },
      { name: 'http2', call: viaHttp2, latency: [], compute: [] },
    );
    for (const s of scenarios) for (let i = 0; i < 15; i++) await s.call();
    const blocks = 6;
    for (let block = 0; block < blocks; block++) {
      for (const s of scenarios) {
        for (let i = 0; i < Math.ceil(requests / blocks); i++) {
          const t0 = performance.now();
          s.compute.push(await s.call());
          s.latency.push(performance.now() - t0);
        }
      }
    }
    const base = p50(scenarios[0].latency);
    const detectorFloor = Object.fromEntries(
      scenarios.map((s) => [
        s.name,
        {
          p50Ms: round(p50(s.latency), 2),
          computeP50Ms: round(p50(s.compute), 2),
          // Per request, latency minus that request's own compute: the transport and hand-offs.
          aroundComputeP50Ms: round(p50(s.latency.map((l, i) => l - s.compute[i])), 2),
          p50Overhead: round(p50(s.latency) / base - 1),
        },
      ]),
    );

    const report = {
      gapMs,
      requestsPerColumn: requests,
      tcp: { ...tcp, gapOverBackToBack: ratio(tcp.afterGapMs, tcp.backToBackMs) },
      grpc: { ...grpcTiny, gapOverBackToBack: ratio(grpcTiny.afterGapMs, grpcTiny.backToBackMs) },
      detectorFloor: { model: resolve(args.model!).split('/').pop(), threads, scenarios: detectorFloor },
    };
    if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      console.log(`round trip p50, back to back vs after ${gapMs} ms idle (${requests} requests each)`);
      for (const k of ['tcp', 'grpc'] as const) {
        const r = report[k];
        console.log(`${k.padEnd(5)} ${r.backToBackMs.toFixed(3).padStart(8)} ms ${r.afterGapMs.toFixed(3).padStart(8)} ms  x${r.gapOverBackToBack}`);
      }
      console.log(`\ndetector floor, concurrency 1, no tensor moved (${report.detectorFloor.model}, ${threads} threads)`);
      console.log('scenario            p50 ms  compute p50  around compute  p50 overhead');
      for (const [name, r] of Object.entries(detectorFloor)) {
        console.log(`${name.padEnd(18)} ${r.p50Ms.toFixed(2).padStart(7)} ${r.computeP50Ms.toFixed(2).padStart(12)} ${r.aroundComputeP50Ms.toFixed(2).padStart(15)} ${(r.p50Overhead * 100).toFixed(1).padStart(12)}%`);
      }
    }
  } finally {
    for (const fn of cleanup.reverse()) await fn();
    for (const c of children) c.kill();
  }
}

tuneGcForTensorTraffic();
if (args.echo) {
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  }).listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
} else {
  await main();
}
