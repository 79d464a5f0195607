/**
 * The detector floor's server: the model on a session thread that already holds its input, behind a
 * @grpc/grpc-js server or a bare node:http2 server writing gRPC framing. Only a 16-byte request (or a
 * tensor's worth of bytes it ignores) and the 8-byte compute time travel. Runs in its own process
 * (bench/floor-server-child.ts, bench:inference-floor) or inside the inference server's benchmark
 * process (bench/inference-server-child.ts with BENCH_FLOOR_MODEL, bench:inference), so that the
 * floor row and the served rows run in the same process. Resolves to its port.
 */
import type { AddressInfo } from 'node:net';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { startTsWorker } from '@riverwatch/common';
import { widenReceiveWindow, widenSessionWindows } from '../services/inference/src/http2-window.ts';
import { FLOOR_MESSAGE_BYTES, FLOOR_METHOD } from './floor-grpc.ts';

export async function startFloorServer(kind: 'grpc-js' | 'http2', modelPath: string, threads: number, provider = 'cpu'): Promise<number> {
  const worker = startTsWorker(new URL('./floor-session-worker.ts', import.meta.url), { data: { modelPath, threads, provider } });
  await new Promise((r) => worker.once('message', r));
  const compute = () =>
    new Promise<Buffer>((done) => {
      worker.once('message', (ms: number) => {
        const out = Buffer.alloc(8);
        out.writeDoubleLE(ms);
        done(out);
      });
      worker.postMessage(0);
    });
  if (kind === 'grpc-js') {
    // A tensor-sized request (floorGrpcClient's requestBytes) is received as the inference server receives it.
    const server = new grpc.Server({ 'grpc.max_receive_message_length': FLOOR_MESSAGE_BYTES });
    widenReceiveWindow(server, FLOOR_MESSAGE_BYTES);
    server.addService(FLOOR_METHOD as never, {
      Run: (_call: unknown, reply: (err: null, out: Buffer) => void) => void compute().then((out) => reply(null, out)),
    });
    return new Promise((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        widenSessionWindows(server, FLOOR_MESSAGE_BYTES);
        resolve(port);
      }),
    );
  }
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      void compute().then((out) => {
        const framed = Buffer.alloc(5 + out.length); // gRPC length-prefixed message: flag byte, 4-byte length
        framed.writeUInt32BE(out.length, 1);
        out.copy(framed, 5);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(framed);
      });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
