/**
 * worker_threads entry: owns one onnxruntime session. session.run() computes
 * on the calling thread, so it lives here and never on the gRPC event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { detectionRows, detectorCandidates } from '@riverwatch/vision/decode';
import { kserveTypeOf } from './datatypes.ts';
import { sessionOptions } from './session-options.ts';
import type { FromWorker, SessionPostprocess, SessionWorkerData, TensorSpec, ToWorker, WireDetections, WireTensor } from './session-protocol.ts';

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

/** The model's outputs as the decoders read them (the same InferTensor the worker gets over gRPC). */
function asInferTensors(result: Record<string, ort.Tensor>) {
  return Object.entries(result).map(([name, t]) => {
    const data = t.data as ArrayBufferView;
    return { name, datatype: kserveTypeOf(t.type) ?? t.type, shape: [...t.dims], data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
  });
}

/** Decodes and runs NMS on this thread, right after onnxruntime: the gRPC event loop never does. */
function decode(pp: SessionPostprocess, result: Record<string, ort.Tensor>, batch: number): WireDetections {
  const inputs = Array.from({ length: batch }, () => ({ inputWidth: pp.inputWidth, inputHeight: pp.inputHeight }));
  const { rows, counts } = detectionRows(detectorCandidates(asInferTensors(result), pp, inputs, pp.options));
  return { rows: rows.buffer as ArrayBuffer, counts };
}

/**
 * At load, the model runs once on a zero input and the decoder reads its outputs, so that a
 * postprocess block that does not fit the model (wrong format, class count) refuses the load
 * instead of failing every request. Skipped when an input has free dimensions besides the batch.
 */
async function checkDecodable(pp: SessionPostprocess, session: ort.InferenceSession): Promise<void> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const m of session.inputMetadata) {
    if (!m.isTensor || !ARRAYS[m.type]) return;
    const dims = m.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : NaN));
    if (dims.some(Number.isNaN)) return;
    const Arr = ARRAYS[m.type];
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[m.name] = new ort.Tensor(m.type, new Arr(new ArrayBuffer(n * Arr.BYTES_PER_ELEMENT), 0, n) as never, dims);
  }
  const batch = Object.values(feeds)[0]?.dims[0] ?? 1;
  try {
    decode(pp, await session.run(feeds), batch);
  } catch (err) {
    throw new Error(`${pp.label}: postprocess.format ${pp.format} does not fit the model's outputs: ${(err as Error).message}`);
  }
}

try {
  const { session, provider, fallback } = await createSession();
  if (config.postprocess) await checkDecodable(config.postprocess, session);
  port.on('message', (msg: ToWorker) => {
    void (async () => {
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = toOrt(t);
        const pp = msg.postprocess && config.postprocess;
        if (msg.postprocess && !pp) throw new Error('this model has no postprocess configured');
        const started = performance.now();
        // The decoder picks its tensors among all of the model's outputs.
        const result = await session.run(feeds, pp ? session.outputNames : msg.outputs);
        const computeMs = performance.now() - started;
        const detections = pp ? decode(pp, result, msg.postprocess!.batch) : undefined;
        const decodeMs = pp ? performance.now() - started - computeMs : undefined;
        const send = (copy: boolean) => {
          const outputs: Record<string, WireTensor> = {};
          for (const name of msg.outputs) outputs[name] = fromOrt(result[name], copy);
          const buffers = [...new Set(Object.values(outputs).map((o) => o.data))];
          if (detections) buffers.push(detections.rows);
          post({ kind: 'result', id: msg.id, outputs, detections, computeMs, decodeMs }, buffers);
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
