/**
 * npm run bench:inference-floor [-- --json] [--gap-ms N] [--requests N]
 *
 * What a round trip costs on this machine before any model runs, back to back
 * and after the caller has been idle for --gap-ms (default 17: the shipped
 * detector's compute time, which is how long both processes sleep per request
 * at concurrency 1). Side by side:
 *   tcp:  a 1-byte echo between two processes (the kernel and wake-up floor);
 *   grpc: ModelInfer through the inference server with a 4 KB model (no shared memory).
 * The gap column over the back-to-back column is what idling costs each stack.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startInferenceServerChild } from './inference-server.ts';
import { InferenceClient, tuneGcForTensorTraffic } from '@riverwatch/inference-client';

const ROOT = new URL('../', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    'gap-ms': { type: 'string', default: '17' },
    requests: { type: 'string', default: '300' },
    echo: { type: 'boolean', default: false },
  },
});

// Child mode: the echo server of the tcp scenario.
if (args.echo) {
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  }).listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
} else {
  await main();
}

async function main(): Promise<void> {
  tuneGcForTensorTraffic();
  const gapMs = Number(args['gap-ms']);
  const requests = Number(args.requests);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  // Interleaved (back to back, then after a gap, several times) so drift hits both alike.
  async function measure(call: () => Promise<unknown>): Promise<{ backToBackMs: number; afterGapMs: number }> {
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
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return { backToBackMs: round(p50(hot)), afterGapMs: round(p50(idle)) };
  }

  const echo: ChildProcess = fork(new URL(import.meta.url).pathname, ['--echo'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((r) => echo.once('message', (m) => r(m as number)));
  const socket = createConnection(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((r) => socket.once('connect', r));
  const ping = () => new Promise((r) => (socket.once('data', r), socket.write('x')));

  const repo = mkdtempSync(join(tmpdir(), 'rw-floor-'));
  cpSync(join(ROOT, 'test/fixtures/models/tiny-detector'), join(repo, 'tiny-detector'), { recursive: true });
  const server = await startInferenceServerChild(repo, { threads: 1 });
  const client = new InferenceClient([`127.0.0.1:${server.port}`], { deadlineMs: 10_000 });
  const data = Buffer.alloc(3 * 32 * 32 * 4);
  const infer = () => client.infer('tiny-detector', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data }]);

  try {
    const tcp = await measure(ping);
    const grpc = await measure(infer);
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const report = {
      gapMs,
      requestsPerColumn: requests,
      tcp: { ...tcp, gapOverBackToBack: ratio(tcp.afterGapMs, tcp.backToBackMs) },
      grpc: { ...grpc, gapOverBackToBack: ratio(grpc.afterGapMs, grpc.backToBackMs) },
    };
    if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      console.log(`round trip p50, back to back vs after ${gapMs} ms idle (${requests} requests each)`);
      for (const k of ['tcp', 'grpc'] as const) {
        const r = report[k];
        console.log(`${k.padEnd(5)} ${r.backToBackMs.toFixed(3).padStart(8)} ms ${r.afterGapMs.toFixed(3).padStart(8)} ms  x${r.gapOverBackToBack}`);
      }
    }
  } finally {
    socket.destroy();
    echo.kill();
    client.close();
    await server.stop();
    rmSync(repo, { recursive: true, force: true });
  }
}
