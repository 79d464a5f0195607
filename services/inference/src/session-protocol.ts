/** Messages between the gRPC thread and a session worker thread. */
import type { OrtType } from './datatypes.ts';

export interface SessionWorkerData {
  modelPath: string;
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

export type ToWorker = { kind: 'run'; id: number; feeds: Record<string, WireTensor>; outputs: string[] };

export type FromWorker =
  | { kind: 'ready'; inputs: TensorSpec[]; outputs: TensorSpec[]; provider: string; fallback?: string }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; outputs: Record<string, WireTensor>; computeMs: number }
  | { kind: 'error'; id: number; message: string };
