import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Logger } from '@riverwatch/common';
import type { GRPCInferenceServiceHandlers, ModelInferResponse } from '@riverwatch/proto';
import { DETECTIONS_OUTPUT, FRAME_INPUT } from '@riverwatch/vision/decode';
import { isFrameRequest, type FrameRequests } from './frame-requests.ts';
import { InferError, invalidArgument } from './infer-error.ts';
import { inferenceMetrics } from './inference-metrics.ts';
import type { LoadedModel } from './loaded-model.ts';
import type { ModelManager } from './model-manager.ts';
import type { QueuedRequest } from './model-scheduler.ts';
import { shmRefOf, type SharedMemoryRegistry, type ShmRef } from './shared-memory.ts';
import { takeInputs } from './tensor-codec.ts';

export interface ServerState {
  /** True once the initial load finished and until draining starts. */
  ready(): boolean;
}

const SERVER_NAME = 'riverwatch-inference';
const SERVER_VERSION = '0.1.0';
/** ServerMetadata's extension for frame requests (FRAME_INPUT). */
export const FRAMES_EXTENSION = 'riverwatch_frames';
const EMPTY = Buffer.alloc(0);

function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof InferError) return { code: err.code, details: err.message };
  return { code: status.INTERNAL, details: (err as Error).message };
}

function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : Infinity;
}

/** The GRPCInferenceService methods over the model manager. */
export function inferenceHandlers(manager: ModelManager, state: ServerState, shm: SharedMemoryRegistry, logger: Logger, frames?: FrameRequests): GRPCInferenceServiceHandlers {
  const metadataOf = (m: LoadedModel) => ({
    name: m.name,
    versions: manager.versions(m.name).sort((a, b) => Number(a) - Number(b)),
    platform: 'onnxruntime_onnx',
    inputs: m.inputs,
    outputs: m.outputs,
  });

  return {
    ServerLive: (_call, cb) => cb(null, { live: true }),
    ServerReady: (_call, cb) => cb(null, { ready: state.ready() }),
    ServerMetadata: (_call, cb) =>
      cb(null, { name: SERVER_NAME, version: SERVER_VERSION, extensions: ['model_repository', ...(shm.enabled ? ['system_shared_memory'] : []), ...(frames ? [FRAMES_EXTENSION] : [])] }),
    ModelReady: (call, cb) => cb(null, { ready: state.ready() && manager.has(call.request.name, call.request.version) }),
    ModelMetadata: (call, cb) => {
      try {
        cb(null, metadataOf(manager.get(call.request.name, call.request.version)));
      } catch (err) {
        cb(toServiceError(err));
      }
    },

    ModelInfer: (call, cb) => {
      const received = performance.now();
      const req = call.request;
      // Unknown names are not used as label values: a client could mint unbounded series.
      const label = manager.has(req.model_name) ? req.model_name : '(unknown)';
      inferenceMetrics.requestBytes.inc({ model: label }, req.raw_input_contents.reduce((n, b) => n + b.byteLength, 0));
      const finish = (err: unknown, res?: ModelInferResponse) => {
        const e = err ? toServiceError(err) : undefined;
        const code = e ? status[e.code!] : 'OK';
        inferenceMetrics.requests.inc({ model: label, status: code });
        inferenceMetrics.requestSeconds.observe({ model: label, status: code }, (performance.now() - received) / 1000);
        if (e?.code === status.INTERNAL) logger.error({ model: req.model_name, requestId: req.id, err: e.details }, 'ModelInfer failed');
        // Per request, so debug only: the request id is the worker's frame id (follows a frame into this server).
        else if (logger.isLevelEnabled('debug')) {
          logger.debug({ model: req.model_name, version: res?.model_version, requestId: req.id, status: code, ms: Math.round((performance.now() - received) * 10) / 10 }, 'ModelInfer');
        }
        if (e) cb(e);
        else cb(null, res);
      };
      let model: LoadedModel;
      let request: QueuedRequest;
      const shmOutputs = new Map<string, ShmRef>();
      try {
        model = manager.get(req.model_name, req.model_version);
        if (frames && isFrameRequest(req.inputs)) {
          if (req.outputs.some((o) => o.name !== DETECTIONS_OUTPUT || shmRefOf(`output '${o.name}'`, o.parameters))) {
            throw invalidArgument(`a '${FRAME_INPUT}' request answers '${DETECTIONS_OUTPUT}' alone, in the message`);
          }
          const [frame] = takeInputs(req, shm);
          frames.detect(model, frame!, req.parameters, { deadline: deadlineOf(call), isCancelled: () => call.cancelled }).then(
            ({ outputs, parameters }) =>
              finish(null, {
                model_name: model.name,
                model_version: model.version,
                id: req.id,
                parameters,
                outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
                raw_output_contents: outputs.map((o) => o.data),
              }),
            (err: unknown) => finish(err),
          );
          return;
        }
        for (const o of req.outputs) {
          const ref = shmRefOf(`output '${o.name}'`, o.parameters);
          if (!ref) continue;
          shm.check(`output '${o.name}'`, ref);
          shmOutputs.set(o.name, ref);
        }
        const prepared = model.prepare(
          takeInputs(req, shm),
          req.outputs.map((o) => o.name),
        );
        request = { ...prepared, deadline: deadlineOf(call), isCancelled: () => call.cancelled };
      } catch (err) {
        finish(err);
        return;
      }
      // From here the request's tensor bytes may move to the session thread: use only decoded fields.
      model.infer(request).then(
        (outputs) => {
          try {
            // An output bound for shared memory is written there; its raw entry stays empty.
            // A caller that has gone may already have lent its slot to another request: leave it alone.
            if (shmOutputs.size && call.cancelled) throw new InferError(status.CANCELLED, 'the client cancelled the call');
            for (const o of outputs) {
              const ref = shmOutputs.get(o.name);
              if (ref) shm.write(`output '${o.name}'`, ref, o.data);
            }
          } catch (err) {
            finish(err);
            return;
          }
          finish(null, {
            model_name: model.name,
            model_version: model.version,
            id: req.id,
            outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
            raw_output_contents: outputs.map((o) => (shmOutputs.has(o.name) ? EMPTY : o.data)),
          });
        },
        (err: unknown) => finish(err),
      );
    },

    SystemSharedMemoryRegister: (call, cb) => {
      const { name, key, offset, byte_size } = call.request;
      try {
        shm.register(name, key, offset, byte_size);
        logger.info({ region: name, key, bytes: byte_size }, 'shared memory region registered');
        cb(null, {});
      } catch (err) {
        cb(toServiceError(err));
      }
    },
    SystemSharedMemoryUnregister: (call, cb) => {
      try {
        shm.unregister(call.request.name);
        cb(null, {});
      } catch (err) {
        cb(toServiceError(err));
      }
    },
    SystemSharedMemoryStatus: (call, cb) => {
      try {
        cb(null, { regions: Object.fromEntries(shm.status(call.request.name).map((r) => [r.name, r])) });
      } catch (err) {
        cb(toServiceError(err));
      }
    },

    RepositoryModelLoad: (call, cb) => {
      const name = call.request.model_name;
      manager.load(name).then(
        () => cb(null, {}),
        // A model whose files do not load (config.json refused, model.onnx unreadable) is the
        // caller's to fix, not the server's fault: INVALID_ARGUMENT, as Triton answers.
        (err: unknown) => cb(toServiceError(err instanceof InferError ? err : invalidArgument(`model '${name}' failed to load: ${(err as Error).message}`))),
      );
    },
    RepositoryModelUnload: (call, cb) => {
      manager.unload(call.request.model_name).then(
        () => cb(null, {}),
        (err: unknown) => cb(toServiceError(err)),
      );
    },
  };
}
