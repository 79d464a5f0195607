import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as InferenceProto } from './generated/grpc_service.ts';
import type { ProtoGrpcType as HealthProto } from './generated/health.ts';

export type { InferenceProto, HealthProto };
export type { GRPCInferenceServiceClient, GRPCInferenceServiceHandlers } from './generated/inference/GRPCInferenceService.ts';
export type { ModelInferRequest, ModelInferRequest__Output } from './generated/inference/ModelInferRequest.ts';
export type { ModelInferResponse, ModelInferResponse__Output } from './generated/inference/ModelInferResponse.ts';
export type { ModelMetadataResponse, ModelMetadataResponse__Output } from './generated/inference/ModelMetadataResponse.ts';
export type { InferTensorContents, InferTensorContents__Output } from './generated/inference/InferTensorContents.ts';
export { DATATYPE_BYTES, isKserveDatatype, tensorByteSize, type KserveDatatype } from './datatypes.ts';
export type { InferParameter, InferParameter__Output } from './generated/inference/InferParameter.ts';
export type { HealthClient, HealthHandlers } from './generated/grpc/health/v1/Health.ts';
export type { HealthCheckResponse, HealthCheckResponse__Output } from './generated/grpc/health/v1/HealthCheckResponse.ts';

/** proto/ at the repository root: the single source of the wire contract. */
export const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));
export const INFERENCE_PROTO = 'grpc_service.proto';
export const HEALTH_PROTO = 'health.proto';

/**
 * Must match the flags of `npm run proto:gen` (keepCase, longs=Number,
 * enums=String, defaults, oneofs) or the generated types lie about the objects.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let inference: InferenceProto | undefined;
let health: HealthProto | undefined;

export function loadInferenceProto(): InferenceProto {
  inference ??= grpc.loadPackageDefinition(protoLoader.loadSync(INFERENCE_PROTO, LOADER_OPTIONS)) as unknown as InferenceProto;
  return inference;
}

export function loadHealthProto(): HealthProto {
  health ??= grpc.loadPackageDefinition(protoLoader.loadSync(HEALTH_PROTO, LOADER_OPTIONS)) as unknown as HealthProto;
  return health;
}
