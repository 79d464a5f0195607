import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { DependencyUnavailableError, EvidenceStore, OpsServer, stopOnce, tuneGcForTensorTraffic, type RunningService, type ServiceContext } from '@riverwatch/common';
import { loadHealthProto, loadInferenceProto } from '@riverwatch/proto';
import { FrameRequests } from './frame-requests.ts';
import { HealthService } from './health-service.ts';
import { widenReceiveWindow, widenSessionWindows } from './http2-window.ts';
import { inferenceHandlers } from './inference-handlers.ts';
import { inferenceMetrics } from './inference-metrics.ts';
import { intraOpThreads } from './intra-op-threads.ts';
import { ModelManager } from './model-manager.ts';
import { ModelRepository } from './model-repository.ts';
import { parseS3Repository, S3RepositorySync } from './s3-repository-sync.ts';
import { SharedMemoryRegistry } from './shared-memory.ts';

export interface InferenceServerOptions {
  /** How often the repository is checked for changed models; 0 disables. */
  pollIntervalMs?: number;
  /** onnxruntime intra-op threads per session; default INFERENCE_INTRA_OP_THREADS, 0 = the CPUs this process may use (intra-op-threads.ts). */
  intraOpThreads?: number;
  host?: string;
  /**
   * Turn V8's incremental marking off for this process (see packages/common/src/gc-tuning.ts):
   * tensor-sized Buffers otherwise trigger a full mark-compact every few
   * requests. Default true; `INFERENCE_V8_INCREMENTAL_MARKING=true` overrides.
   */
  tuneGc?: boolean;
}

export interface RunningInference extends RunningService {
  readonly name: 'inference';
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly models: ModelManager;
}

/** Loads the repository, then serves KServe v2 + grpc.health.v1 on one port and metrics on another. */
export async function startInferenceServer(ctx: ServiceContext, opts: InferenceServerOptions = {}): Promise<RunningInference> {
  const cfg = ctx.config.inference;
  const logger = ctx.logger;
  if (opts.tuneGc ?? true) tuneGcForTensorTraffic();
  const health = new HealthService();
  let draining = false;
  const mirror = await s3Mirror(ctx);
  const threads = intraOpThreads(opts.intraOpThreads ?? cfg.intraOpThreads);
  inferenceMetrics.intraOpThreads.set(threads.threads);
  const manager = new ModelManager(
    new ModelRepository(mirror?.localDir ?? cfg.modelRepository, cfg.instances),
    { providers: cfg.providers, requireGpu: cfg.requireGpu, intraOpThreads: threads.threads },
    logger,
    mirror ? () => mirror.sync() : undefined,
  );
  const state = { ready: () => health.status === 'SERVING' && !draining };

  const server = new grpc.Server({
    // grpc-js rejects an oversized message from its length prefix, before buffering it.
    'grpc.max_receive_message_length': cfg.maxMessageBytes,
    'grpc.max_send_message_length': cfg.maxMessageBytes,
  });
  // Room for one whole large request in flight (capped: the window is a 31-bit number).
  const windowBytes = Math.min(cfg.maxMessageBytes, 64 * 1024 * 1024);
  if (!widenReceiveWindow(server, windowBytes)) logger.warn('grpc-js internals changed: HTTP/2 receive window left at its default');
  const shm = new SharedMemoryRegistry(cfg.allowClientShm);
  const calls = new CallTracker();
  // Frame requests (frame-requests.ts): decoding and tile packing on their own threads; 0 turns them off.
  const frames = cfg.frameThreads > 0 ? new FrameRequests(cfg.frameThreads) : undefined;
  server.addService(loadInferenceProto().inference.GRPCInferenceService.service, calls.wrap(inferenceHandlers(manager, state, shm, logger, frames)));
  server.addService(loadHealthProto().grpc.health.v1.Health.service, health.handlers());

  let ops: OpsServer | undefined;
  try {
    await manager.loadAll();
    const grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${opts.host ?? '0.0.0.0'}:${cfg.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    widenSessionWindows(server, windowBytes);
    ops = await OpsServer.start(cfg.metricsPort, async () => ({ models: state.ready() }));
    health.set('SERVING');
    manager.startPolling(opts.pollIntervalMs ?? 1000);
    logger.info({ grpcPort, metricsPort: ops.port, models: manager.names(), repository: cfg.modelRepository, clientShm: cfg.allowClientShm, frameThreads: cfg.frameThreads, intraOpThreads: threads.threads, intraOpThreadsFrom: threads.from }, 'inference server ready');
    const metricsServer = ops;

    return {
      name: 'inference',
      grpcPort,
      metricsPort: metricsServer.port,
      models: manager,
      stop: stopOnce(async () => {
        draining = true;
        // Probes see NOT_SERVING first; calls already running are allowed to finish.
        health.set('NOT_SERVING');
        health.endWatches();
        // tryShutdown ends when every client has closed its connection, which a well-behaved one
        // does once its calls are answered. One that never does (a dead peer, a raw HTTP/2 client)
        // must not hold the stop until the deadline: once no call is in flight and the answers
        // have had a moment to leave, what is left is closed.
        await new Promise<void>((resolve) => {
          let done = false;
          const finish = (force: boolean) => {
            if (done) return;
            done = true;
            clearTimeout(deadline);
            if (force) server.forceShutdown();
            resolve();
          };
          const deadline = setTimeout(() => finish(true), ctx.config.inference.deadlineMs);
          server.tryShutdown(() => finish(false));
          void calls.idle().then(() => setTimeout(() => finish(true), ANSWER_FLUSH_MS));
        });
        await manager.stop();
        await frames?.close();
        shm.close();
        await metricsServer.close();
        logger.info('inference server stopped');
      }),
    };
  } catch (err) {
    server.forceShutdown();
    await manager.stop();
    await frames?.close();
    shm.close();
    await ops?.close();
    throw err;
  }
}

/** For `MODEL_REPOSITORY=s3://bucket/prefix`: a fresh local mirror under DATA_DIR, filled before loading. */
async function s3Mirror(ctx: ServiceContext): Promise<S3RepositorySync | undefined> {
  const location = parseS3Repository(ctx.config.inference.modelRepository);
  if (!location) return undefined;
  const localDir = join(ctx.config.dataDir, 'model-cache', location.bucket, location.prefix);
  await rm(localDir, { recursive: true, force: true });
  const store = EvidenceStore.fromConfig(ctx.config.s3, ctx.s3Endpoint);
  const mirror = new S3RepositorySync(store.client, location, localDir, ctx.logger);
  try {
    await mirror.sync();
  } catch (err) {
    throw new DependencyUnavailableError(
      `model repository s3://${location.bucket}/${location.prefix} unreadable (MODEL_REPOSITORY, S3_ENDPOINT): ${(err as Error).message}`,
    );
  }
  return mirror;
}

/** After the last call is answered, how long a stopping server leaves connections to send it and close. */
const ANSWER_FLUSH_MS = 500;

/** Counts the unary calls in flight through a service's handlers, so a stop knows when none is left. */
class CallTracker {
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  wrap<H extends object>(handlers: H): H {
    const wrapped: Record<string, unknown> = {};
    for (const [name, handler] of Object.entries(handlers) as [string, (call: unknown, cb: (...args: unknown[]) => void) => void][]) {
      wrapped[name] = (call: unknown, cb: (...args: unknown[]) => void) => {
        this.inFlight++;
        let answered = false;
        const done = () => {
          if (answered) return;
          answered = true;
          if (--this.inFlight === 0) for (const w of this.waiters.splice(0)) w();
        };
        try {
          handler(call, (...args: unknown[]) => {
            done();
            cb(...args);
          });
        } catch (err) {
          done();
          throw err;
        }
      };
    }
    return wrapped as H;
  }

  /** Resolves once no call is in flight (at once when none is). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
