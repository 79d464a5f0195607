export { InferenceClient, type InferResult, type InferOptions, type InferenceClientOptions, type ModelMetadata } from './inference-client.ts';
export { InferenceError } from './inference-error.ts';
export type { Tensor, TensorDatatype } from './tensor.ts';
export { tuneGcForTensorTraffic } from '@riverwatch/common';
