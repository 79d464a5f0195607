import { status } from '@grpc/grpc-js';

/** A request failure with the gRPC status the client should see. */
export class InferError extends Error {
  override name = 'InferError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (msg: string) => new InferError(status.NOT_FOUND, msg);
export const invalidArgument = (msg: string) => new InferError(status.INVALID_ARGUMENT, msg);
export const resourceExhausted = (msg: string) => new InferError(status.RESOURCE_EXHAUSTED, msg);
export const unavailable = (msg: string) => new InferError(status.UNAVAILABLE, msg);
export const deadlineExceeded = (msg: string) => new InferError(status.DEADLINE_EXCEEDED, msg);
