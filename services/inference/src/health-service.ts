import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { HealthCheckResponse, HealthHandlers } from '@riverwatch/proto';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** grpc.health.v1 for the whole server ('') and the inference service by name. */
export class HealthService {
  private current: ServingStatus = 'NOT_SERVING';
  private readonly watchers = new Set<grpc.ServerWritableStream<unknown, HealthCheckResponse>>();
  static readonly SERVICES = new Set(['', 'inference.GRPCInferenceService']);

  get status(): ServingStatus {
    return this.current;
  }

  set(next: ServingStatus): void {
    if (next === this.current) return;
    this.current = next;
    for (const w of this.watchers) w.write({ status: next });
  }

  /** Watch streams are ended on shutdown, or grpc-js would wait for them forever. */
  endWatches(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  handlers(): HealthHandlers {
    return {
      Check: (call, callback) => {
        if (!HealthService.SERVICES.has(call.request.service)) {
          callback({ code: status.NOT_FOUND, details: `unknown service '${call.request.service}'` });
          return;
        }
        callback(null, { status: this.current });
      },
      Watch: (call) => {
        if (!HealthService.SERVICES.has(call.request.service)) {
          call.write({ status: 'SERVICE_UNKNOWN' });
          return;
        }
        this.watchers.add(call);
        call.on('cancelled', () => this.watchers.delete(call));
        call.write({ status: this.current });
      },
    };
  }
}
