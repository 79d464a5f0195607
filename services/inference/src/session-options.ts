import type { InferenceSession } from 'onnxruntime-node';

/**
 * onnxruntime session options the server uses (and the benchmark's in-process
 * baseline, so both run the same engine). Intra-op threads normally spin after
 * each parallel section; on a small shared CPU the spinning steals the cores
 * that the gRPC event loop and the next run need (measured: a 320x320 YOLOv5
 * run took 55 ms spinning vs 15-21 ms not, on 2 busy cores).
 */
export function sessionOptions(intraOpThreads: number): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
