import { status } from '@grpc/grpc-js';

/** A failed call; `code` is the gRPC status (5 NOT_FOUND, 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED...). */
export class InferenceError extends Error {
  override name = 'InferenceError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  /** The status name, e.g. 'UNAVAILABLE'. */
  get codeName(): string {
    return status[this.code] ?? String(this.code);
  }
}
