/**
 * The detector floor's server (a child process): the model on a session thread that already holds
 * its input, behind a @grpc/grpc-js server or a bare node:http2 server writing gRPC framing. Only a
 * 16-byte request (or a tensor's worth of bytes it ignores) and the 8-byte compute time travel.
 * Sends its port to the parent (process.send).
 *
 *   floor-server-child.ts grpc-js|http2 MODEL_PATH THREADS [cpu|cuda]
 */
import type { AddressInfo } from 'node:net';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { startTsWorker } from '@riverwatch/common';
import { tuneGcForTensorTraffic } from '@riverwatch/inference-client';
import { widenReceiveWindow, widenSessionWindows } from '../services/inference/src/http2-window.ts';
import { FLOOR_MESSAGE_BYTES, FLOOR_METHOD } from './floor-grpc.ts';

const [kind, modelPath, threads, provider = 'cpu'] = process.argv.slice(2);
tuneGcForTensorTraffic();
const worker = startTsWorker(new URL('./floor-session-worker.ts', import.meta.url), { data: { modelPath, threads: Number(threads), provider } });
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
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (_err, port) => {
    widenSessionWindows(server, FLOOR_MESSAGE_BYTES);
    process.send!(port);
  });
} else {
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
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
}
