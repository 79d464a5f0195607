/**
 * worker_threads entry: owns one onnxruntime session. session.run() computes
 * on the calling thread, so it lives here and never on the gRPC event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { sessionOptions } from './session-options.ts';
import type { FromWorker, SessionWorkerData, TensorSpec, ToWorker, WireTensor } from './session-protocol.ts';

const config = (workerData as { data: SessionWorkerData }).data;
const port = parentPort!;
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

type ArrayCtor = { new (buf: ArrayBuffer, offset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number };

const ARRAYS: Record<string, ArrayCtor> = {
  bool: Uint8Array,
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  float16: Uint16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  uint64: BigUint64Array,
  int64: BigInt64Array,
  float64: Float64Array,
};

function specs(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

async function createSession(): Promise<{ session: ort.InferenceSession; provider: string; fallback?: string }> {
  const options = sessionOptions(config.intraOpThreads);
  const wantsCuda = config.providers.includes('cuda');
  if (wantsCuda) {
    try {
      const session = await ort.InferenceSession.create(config.modelPath, { ...options, executionProviders: ['cuda', 'cpu'] });
      return { session, provider: 'cuda' };
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0].slice(0, 300);
      if (config.requireGpu || !config.providers.includes('cpu')) throw new Error(`CUDA execution provider unavailable: ${reason}`);
      const session = await ort.InferenceSession.create(config.modelPath, { ...options, executionProviders: ['cpu'] });
      return { session, provider: 'cpu', fallback: reason };
    }
  }
  return { session: await ort.InferenceSession.create(config.modelPath, { ...options, executionProviders: ['cpu'] }), provider: 'cpu' };
}

function toOrt(t: WireTensor): ort.Tensor {
  const Arr = ARRAYS[t.type];
  const offset = t.byteOffset ?? 0;
  const length = t.byteLength ?? t.data.byteLength;
  // Typed arrays need aligned offsets; bytes inside a protobuf message rarely are, so copy here, off the event loop.
  const aligned = offset % Arr.BYTES_PER_ELEMENT === 0;
  const buffer = aligned ? t.data : t.data.slice(offset, offset + length);
  const view = new Arr(buffer, aligned ? offset : 0, length / Arr.BYTES_PER_ELEMENT);
  return new ort.Tensor(t.type, view as never, t.dims);
}

function fromOrt(t: ort.Tensor, copy: boolean): WireTensor {
  const data = t.data as ArrayBufferView;
  const type = t.type as WireTensor['type'];
  const dims = [...t.dims];
  // onnxruntime-node hands each output over in a fresh ArrayBuffer of its own: it moves to the
  // event loop as it is (no 250 KB copy per detector answer). Anything else is copied out.
  const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  if (whole && !copy) return { type, dims, data: data.buffer as ArrayBuffer };
  const out = new Uint8Array(data.byteLength);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { type, dims, data: out.buffer };
}

try {
  const { session, provider, fallback } = await createSession();
  port.on('message', (msg: ToWorker) => {
    void (async () => {
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = toOrt(t);
        const started = performance.now();
        const result = await session.run(feeds, msg.outputs);
        const computeMs = performance.now() - started;
        const send = (copy: boolean) => {
          const outputs: Record<string, WireTensor> = {};
          for (const name of msg.outputs) outputs[name] = fromOrt(result[name], copy);
          post({ kind: 'result', id: msg.id, outputs, computeMs }, [...new Set(Object.values(outputs).map((o) => o.data))]);
        };
        try {
          send(false);
        } catch {
          // A buffer that cannot be transferred (DataCloneError): send copies instead.
          send(true);
        }
      } catch (err) {
        post({ kind: 'error', id: msg.id, message: (err as Error).message });
      }
    })();
  });
  post({ kind: 'ready', inputs: specs(session.inputMetadata), outputs: specs(session.outputMetadata), provider, fallback });
} catch (err) {
  post({ kind: 'failed', message: (err as Error).message });
}
