/** Messages between the gRPC thread and a session worker thread. */
import type { ServerPostprocess } from '@riverwatch/vision/decode';
import type { OrtType } from './datatypes.ts';

/** What a session thread needs to decode its model's output itself (config.json's postprocess, resolved). */
export interface SessionPostprocess extends ServerPostprocess {
  /** The model input's size: ssd boxes are normalised to it. */
  inputWidth: number;
  inputHeight: number;
  /** For messages: "<model>/config.json". */
  label: string;
}

export interface SessionWorkerData {
  modelPath: string;
  postprocess?: SessionPostprocess;
  providers: string[];
  requireGpu: boolean;
  /** 0 = onnxruntime's default (one per core). */
  intraOpThreads: number;
}

export interface TensorSpec {
  name: string;
  type: string;
  /** Symbolic dimensions are -1. */
  shape: number[];
}

/** Tensor bytes travel as transferred ArrayBuffers: no copy between threads. */
export interface WireTensor {
  type: OrtType;
  dims: number[];
  data: ArrayBuffer;
  /** The tensor's bytes within `data` when it is a larger buffer (a whole gRPC message). */
  byteOffset?: number;
  byteLength?: number;
}

/**
 * `outputs`: the model outputs to send back. `postprocess`: also decode the outputs of the
 * `batch` items and send the kept boxes back as `detections`.
 */
export type ToWorker = { kind: 'run'; id: number; feeds: Record<string, WireTensor>; outputs: string[]; postprocess?: { batch: number } };

/** Each batch item's kept boxes: rows of x1, y1, x2, y2, score, class (no padding), and how many per item. */
export interface WireDetections {
  rows: ArrayBuffer;
  counts: number[];
}

export type FromWorker =
  | { kind: 'ready'; inputs: TensorSpec[]; outputs: TensorSpec[]; provider: string; fallback?: string }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; outputs: Record<string, WireTensor>; detections?: WireDetections; computeMs: number; decodeMs?: number }
  | { kind: 'error'; id: number; message: string };
