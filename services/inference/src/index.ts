import type { ServiceContext } from '@riverwatch/common';
import { startInferenceServer, type RunningInference } from './inference-server.ts';

export { startInferenceServer, type InferenceServerOptions, type RunningInference } from './inference-server.ts';
export { sessionOptions } from './session-options.ts';
export { intraOpThreads, type IntraOpThreads } from './intra-op-threads.ts';

/** The inference service: KServe v2 gRPC over onnxruntime sessions in worker threads. */
export async function start(ctx: ServiceContext): Promise<RunningInference> {
  return startInferenceServer(ctx);
}
