import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { loadInferenceProto, type GRPCInferenceServiceClient, type ModelInferResponse__Output } from '@riverwatch/proto';
import type { Logger } from '@riverwatch/common';
import { InferenceError } from './inference-error.ts';
import { contentsToRaw, type Tensor, type TensorDatatype } from './tensor.ts';

export interface InferResult {
  modelName: string;
  modelVersion: string;
  id: string;
  outputs: Tensor[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
}

export interface InferenceClientOptions {
  deadlineMs?: number;
  maxMessageBytes?: number;
  /** Extra attempts after UNAVAILABLE, each on the next target; other errors never retry. */
  retries?: number;
  logger?: Logger;
}

export interface InferOptions {
  version?: string;
  outputs?: string[];
  deadlineMs?: number;
  requestId?: string;
}

type Unary<Req, Res> = (req: Req, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown;

/**
 * A KServe v2 client for riverwatch's inference servers (or Triton/KServe).
 * One channel per target, reused; calls go round-robin across targets.
 * A `dns:///name:port` target (a Kubernetes headless service) is one channel
 * whose addresses grpc-js itself balances round-robin.
 */
export class InferenceClient {
  private readonly clients: GRPCInferenceServiceClient[];
  private readonly deadlineMs: number;
  private readonly retries: number;
  private readonly logger: Logger | undefined;
  private next = 0;

  constructor(targets: string[], opts: InferenceClientOptions = {}) {
    if (!targets.length) throw new Error('InferenceClient needs at least one target');
    this.deadlineMs = opts.deadlineMs ?? 10_000;
    this.retries = opts.retries ?? 2;
    this.logger = opts.logger;
    const maxBytes = opts.maxMessageBytes ?? 64 * 1024 * 1024;
    const Service = loadInferenceProto().inference.GRPCInferenceService;
    this.clients = targets.map(
      (target) =>
        new Service(target, grpc.credentials.createInsecure(), {
          'grpc.max_receive_message_length': maxBytes,
          'grpc.max_send_message_length': maxBytes,
          // Detector outputs run to hundreds of KiB: HTTP/2's default 64 KiB window would stall each answer.
          'grpc-node.flow_control_window': Math.min(maxBytes, 64 * 1024 * 1024),
          'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
        }),
    );
  }

  async infer(model: string, inputs: Tensor[], opts: InferOptions = {}): Promise<InferResult> {
    const request = {
      model_name: model,
      model_version: opts.version ?? '',
      id: opts.requestId ?? '',
      inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      outputs: (opts.outputs ?? []).map((name) => ({ name })),
      raw_input_contents: inputs.map((t) => t.data),
    };
    const res = await this.call<typeof request, ModelInferResponse__Output>(
      (c) => c.ModelInfer.bind(c) as Unary<typeof request, ModelInferResponse__Output>,
      request,
      opts.deadlineMs,
    );
    const raw = res.raw_output_contents;
    return {
      modelName: res.model_name,
      modelVersion: res.model_version,
      id: res.id,
      outputs: res.outputs.map((o, i) => ({
        name: o.name,
        datatype: o.datatype as TensorDatatype,
        shape: o.shape.map(Number),
        data: raw.length ? raw[i] : contentsToRaw(o.datatype, o.contents ?? emptyContents()),
      })),
    };
  }

  async modelMetadata(model: string, version?: string): Promise<ModelMetadata> {
    type Res = {
      name: string;
      versions: string[];
      inputs: { name: string; datatype: string; shape: number[] }[];
      outputs: { name: string; datatype: string; shape: number[] }[];
    };
    const res = await this.call<{ name: string; version: string }, Res>(
      (c) => c.ModelMetadata.bind(c) as Unary<{ name: string; version: string }, Res>,
      { name: model, version: version ?? '' },
    );
    const tensors = (ts: Res['inputs']) => ts.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) }));
    return { name: res.name, versions: res.versions, inputs: tensors(res.inputs), outputs: tensors(res.outputs) };
  }

  /** True when at least one target says it is ready; false (never a throw) when none answers. */
  async serverReady(): Promise<boolean> {
    const answers = await Promise.all(
      this.clients.map((c) =>
        this.once<object, { ready: boolean }>(c.ServerReady.bind(c) as Unary<object, { ready: boolean }>, {}, Date.now() + this.deadlineMs).then(
          (r) => r.ready,
          () => false,
        ),
      ),
    );
    return answers.some(Boolean);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  /** Round-robin, one absolute deadline for all attempts, retry only on UNAVAILABLE. */
  private async call<Req, Res>(method: (c: GRPCInferenceServiceClient) => Unary<Req, Res>, req: Req, deadlineMs?: number): Promise<Res> {
    const deadline = Date.now() + (deadlineMs ?? this.deadlineMs);
    for (let attempt = 0; ; attempt++) {
      const client = this.clients[this.next++ % this.clients.length];
      try {
        return await this.once(method(client), req, deadline);
      } catch (err) {
        const e = err as InferenceError;
        const backoff = Math.min(25 * 2 ** attempt, 500);
        if (e.code !== status.UNAVAILABLE || attempt >= this.retries || Date.now() + backoff >= deadline) throw e;
        this.logger?.warn({ attempt: attempt + 1, err: e.message }, 'inference server unavailable; retrying on the next target');
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
  }

  private once<Req, Res>(fn: Unary<Req, Res>, req: Req, deadline: number): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      try {
        fn(req, new grpc.Metadata(), { deadline }, (err, res) => {
          if (err) reject(new InferenceError(err.code, err.details || err.message));
          else resolve(res!);
        });
      } catch (err) {
        // grpc-js throws synchronously on a closed channel.
        reject(new InferenceError(status.CANCELLED, `inference client: ${(err as Error).message}`));
      }
    });
  }
}

function emptyContents() {
  return { bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [] };
}
