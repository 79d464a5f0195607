/**
 * The detector floor over gRPC, shared by bench:inference-floor and bench:inference: the model on a
 * session thread in another process (bench/floor-server-child.ts) behind grpc-js or bare HTTP/2,
 * called with a 16-byte request. Whatever the inference server does, its concurrency-1 overhead
 * cannot be below its stack's (grpc-js) row.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';

// A unary method that carries raw bytes: no protobuf on either side.
const raw = (b: Buffer) => b;
export const FLOOR_METHOD = {
  Run: { path: '/riverwatch.bench.Floor/Run', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
};

/** The inference server's and client's message limit and HTTP/2 window, so a tensor-sized request travels as it does there. */
export const FLOOR_MESSAGE_BYTES = 64 * 1024 * 1024;

const CHILD = new URL('./floor-server-child.ts', import.meta.url).pathname;

export async function forkFloorServer(kind: 'grpc-js' | 'http2', modelPath: string, threads: number, provider: 'cpu' | 'cuda' = 'cpu'): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(CHILD, [kind, modelPath, String(threads), provider], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((ok, fail) => {
    child.once('message', (m) => ok(m as number));
    child.once('exit', (code) => fail(new Error(`floor server (${kind}) exited with ${code}`)));
  });
  return { child, port };
}

/**
 * A grpc-js client of the floor server; call() resolves to the server's compute ms. With
 * `requestBytes` the request carries that many bytes (the server ignores them): what moving a
 * tensor through grpc-js costs, without protobuf or anything the inference server does.
 */
export function floorGrpcClient(port: number, requestBytes = 16): { call(): Promise<number>; close(): void } {
  const GrpcClient = grpc.makeGenericClientConstructor(FLOOR_METHOD as never, 'Floor');
  const c = new GrpcClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': FLOOR_MESSAGE_BYTES,
    'grpc-node.flow_control_window': FLOOR_MESSAGE_BYTES,
  }) as unknown as grpc.Client & {
    Run(req: Buffer, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, out?: Buffer) => void): void;
  };
  const request = Buffer.alloc(requestBytes);
  return {
    call: () => new Promise<number>((ok, fail) => c.Run(request, { deadline: Date.now() + 10_000 }, (err, out) => (err ? fail(err) : ok(out!.readDoubleLE(0))))),
    close: () => c.close(),
  };
}
