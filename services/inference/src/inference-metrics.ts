import { counter, gauge, histogram } from '@riverwatch/common';

/** The inference service's Prometheus series (shared by every server in the process). */
export const inferenceMetrics = {
  requests: counter({
    name: 'riverwatch_inference_requests_total',
    help: 'ModelInfer requests by model and gRPC status',
    labelNames: ['model', 'status'] as const,
  }),
  requestBytes: counter({
    name: 'riverwatch_inference_request_bytes_total',
    help: 'Tensor bytes received in ModelInfer messages (not through shared memory), by model: the network into this server',
    labelNames: ['model'] as const,
  }),
  requestSeconds: histogram({
    name: 'riverwatch_inference_request_seconds',
    help: 'ModelInfer time inside the server, from the decoded request to the answer handed to gRPC (queue, compute and tensor copies; not the network)',
    labelNames: ['model', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  queueSeconds: histogram({
    name: 'riverwatch_inference_queue_seconds',
    help: 'Time a request waited in the model queue before its batch started',
    labelNames: ['model'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  }),
  computeSeconds: histogram({
    name: 'riverwatch_inference_compute_seconds',
    help: 'onnxruntime run time per batch',
    labelNames: ['model'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  decodeSeconds: histogram({
    name: 'riverwatch_inference_postprocess_seconds',
    help: 'Decode and NMS per batch on the session thread, for requests of the detections output (config.json postprocess)',
    labelNames: ['model'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  }),
  batchSize: histogram({
    name: 'riverwatch_inference_batch_size',
    help: 'Samples per onnxruntime run (after dynamic batching)',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
  }),
  dropped: counter({
    name: 'riverwatch_inference_dropped_total',
    help: 'Requests dropped before compute: queue_full, deadline (expired while queued) or cancelled',
    labelNames: ['model', 'reason'] as const,
  }),
  intraOpThreads: gauge({
    name: 'riverwatch_inference_intra_op_threads',
    help: 'onnxruntime intra-op threads per session (INFERENCE_INTRA_OP_THREADS, else the CPUs the process may use)',
  }),
};
