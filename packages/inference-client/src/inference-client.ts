import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { loadInferenceProto, tensorByteSize, type GRPCInferenceServiceClient, type InferParameter, type ModelInferResponse__Output } from '@riverwatch/proto';
import type { Logger } from '@riverwatch/common';
import { InferenceError } from './inference-error.ts';
import { contentsToRaw, type Tensor, type TensorDatatype } from './tensor.ts';
import { ShmObject, ShmSlots, shmParameters } from './shared-memory.ts';
import { EncodeBufferPool, encodeInferRequest, inferRequestSize } from './infer-request.ts';

export interface InferResult {
  modelName: string;
  modelVersion: string;
  id: string;
  outputs: Tensor[];
  /** The response's parameters (a frame request's frame size and tile count), by name. */
  parameters: Record<string, number | string | boolean>;
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
  /**
   * Pass tensors through /dev/shm (Triton's system shared-memory extension)
   * when there is one target, it offers the extension, and it can open this
   * host's shared memory; otherwise, and whenever a region fails, tensors
   * travel in the message as usual.
   */
  sharedMemory?: boolean;
  /** Requests per model that can use shared memory at once (default 8); more go as bytes. */
  sharedMemorySlots?: number;
  /** After a server could not take a region (not up yet, extension off), ask again after this long (default 30 s). */
  sharedMemoryRetryMs?: number;
}

export interface InferOptions {
  version?: string;
  outputs?: string[];
  deadlineMs?: number;
  requestId?: string;
  /** Request parameters (KServe's map): strings, numbers (int64, or double when fractional) and booleans. */
  parameters?: Record<string, string | number | boolean>;
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
  private readonly useShm: boolean;
  private readonly shmSlotCount: number;
  private readonly shmRetryMs: number;
  private readonly shm = new Map<string, Promise<ShmSlots | undefined>>();
  private readonly encodeBuffers = new EncodeBufferPool();
  private readonly modelInferMethod = loadInferenceProto().inference.GRPCInferenceService.service.ModelInfer;
  /** ModelInfer with a request already encoded (inferViaBytes): grpc-js sends the bytes as they are. */
  private readonly sendEncoded = (c: GRPCInferenceServiceClient): Unary<Buffer, ModelInferResponse__Output> => {
    const m = this.modelInferMethod;
    return (req, meta, opts, cb) => c.makeUnaryRequest(m.path, (b: Buffer) => b, m.responseDeserialize, req, meta, opts, cb);
  };

  constructor(targets: string[], opts: InferenceClientOptions = {}) {
    if (!targets.length) throw new Error('InferenceClient needs at least one target');
    this.deadlineMs = opts.deadlineMs ?? 10_000;
    this.retries = opts.retries ?? 2;
    this.logger = opts.logger;
    // A region lives on one server: with several targets a request could land on a server that lacks it.
    this.useShm = !!opts.sharedMemory && targets.length === 1 && !targets[0]!.startsWith('dns:');
    if (opts.sharedMemory && !this.useShm) this.logger?.warn({ targets }, 'shared memory needs exactly one inference target; sending tensors as bytes');
    this.shmSlotCount = opts.sharedMemorySlots ?? 8;
    this.shmRetryMs = opts.sharedMemoryRetryMs ?? 30_000;
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
    const viaShm = this.useShm ? await this.inferViaShm(model, inputs, opts) : undefined;
    return viaShm ?? this.inferViaBytes(model, inputs, opts);
  }

  /** Tensors in the message, encoded into a pooled buffer (see infer-request.ts). */
  private async inferViaBytes(model: string, inputs: Tensor[], opts: InferOptions): Promise<InferResult> {
    const header = this.modelInferMethod.requestSerialize({
      model_name: model,
      model_version: opts.version ?? '',
      id: opts.requestId ?? '',
      inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      outputs: (opts.outputs ?? []).map((name) => ({ name })),
      parameters: requestParameters(opts.parameters),
    });
    const tensors = inputs.map((t) => t.data);
    const buffer = this.encodeBuffers.acquire(inferRequestSize(header, tensors));
    const message = encodeInferRequest(header, tensors, buffer);
    try {
      return toResult(await this.call(this.sendEncoded, message, opts.deadlineMs));
    } finally {
      // The call has settled: grpc-js framed (copied) the message long before, and keeps no reference to it.
      this.encodeBuffers.release(buffer);
    }
  }

  /** undefined: this request cannot use shared memory (no region, no free slot, too large, region lost). */
  private async inferViaShm(model: string, inputs: Tensor[], opts: InferOptions): Promise<InferResult | undefined> {
    const key = `${model}@${opts.version ?? ''}`;
    const slots = await this.shmSlots(key, model, inputs, opts.version);
    if (!slots || inputs.some((t) => t.data.byteLength > (slots.inputCapacity(t.name) ?? -1))) return undefined;
    const slot = slots.acquire();
    if (slot === undefined) return undefined;
    let holdMs = 0;
    try {
      for (const t of inputs) slots.object.write(slots.inputOffset(slot, t.name)!, t.data);
      const outputOf = (name: string) => {
        const at = slots.outputOffset(slot, name);
        return at === undefined ? { name } : { name, parameters: shmParameters(slots.region, at, slots.outputCapacity(name)!) };
      };
      const request = {
        model_name: model,
        model_version: opts.version ?? '',
        id: opts.requestId ?? '',
        parameters: requestParameters(opts.parameters),
        inputs: inputs.map((t) => ({
          name: t.name,
          datatype: t.datatype,
          shape: t.shape,
          parameters: shmParameters(slots.region, slots.inputOffset(slot, t.name)!, t.data.byteLength),
        })),
        outputs: (opts.outputs?.length ? opts.outputs : slots.layout.outputs.map((o) => o.name)).map(outputOf),
      };
      const res = await this.call<typeof request, ModelInferResponse__Output>(
        (c) => c.ModelInfer.bind(c) as Unary<typeof request, ModelInferResponse__Output>,
        request,
        opts.deadlineMs,
      );
      return toResult(res, (name, datatype, shape) => {
        const at = slots.outputOffset(slot, name);
        const bytes = tensorByteSize(datatype, shape);
        return at === undefined || bytes === undefined ? undefined : slots.object.read(at, bytes);
      });
    } catch (err) {
      // The server may yet write this slot (a run it started before the client gave up).
      holdMs = 2 * (opts.deadlineMs ?? this.deadlineMs);
      const e = err as InferenceError;
      if (!/shared memory/.test(e.message)) throw err;
      // The region is gone (a restarted server) or unusable: this request goes as bytes, the next one re-registers.
      this.logger?.warn({ model, err: e.message }, 'shared memory region failed; sending tensors as bytes');
      this.forgetShm(key, slots, holdMs);
      return undefined;
    } finally {
      slots.release(slot, holdMs);
    }
  }

  /**
   * The model's region, created and registered on first use; undefined when the
   * server cannot take one (asked again after `sharedMemoryRetryMs`: it may have been starting).
   */
  private shmSlots(key: string, model: string, inputs: Tensor[], version?: string): Promise<ShmSlots | undefined> {
    let slots = this.shm.get(key);
    if (!slots) {
      const opening = this.openShm(model, inputs, version).catch((err: Error) => {
        this.logger?.warn({ model, err: err.message }, 'shared memory unavailable; sending tensors as bytes');
        return undefined;
      });
      void opening.then((s) => {
        if (!s) setTimeout(() => this.shm.get(key) === opening && this.shm.delete(key), this.shmRetryMs).unref();
      });
      slots = opening;
      this.shm.set(key, slots);
    }
    return slots;
  }

  /** Drops a failed region (once, however many requests saw it fail); its memory goes after calls still using it. */
  private forgetShm(key: string, failed: ShmSlots, holdMs: number): void {
    setTimeout(() => failed.object.close(), holdMs).unref();
    const current = this.shm.get(key);
    void current?.then((s) => {
      if (s === failed && this.shm.get(key) === current) this.shm.delete(key);
    });
  }

  private async openShm(model: string, inputs: Tensor[], version?: string): Promise<ShmSlots | undefined> {
    type Meta = { extensions: string[] };
    const server = await this.call<object, Meta>((c) => c.ServerMetadata.bind(c) as Unary<object, Meta>, {});
    if (!server.extensions.includes('system_shared_memory')) {
      this.logger?.info({ model }, 'inference server does not offer shared memory; sending tensors as bytes');
      return undefined;
    }
    const meta = await this.modelMetadata(model, version);
    const batch = inputs[0]?.shape[0] ?? 1;
    const layout = {
      inputs: inputs.map((t) => ({ name: t.name, bytes: t.data.byteLength })),
      outputs: meta.outputs.map((o) => {
        // A leading -1 is the batch: sized for this request's batch. Any other unknown dim: no fixed size.
        const shape = o.shape.map((d, i) => (d < 0 && i === 0 ? batch : d));
        return { name: o.name, bytes: shape.some((d) => d < 0) ? undefined : tensorByteSize(o.datatype, shape) };
      }),
    };
    const object = ShmObject.create(ShmSlots.bytesFor(layout, this.shmSlotCount));
    type Reg = { name: string; key: string; offset: number; byte_size: number };
    try {
      await this.call<Reg, object>((c) => c.SystemSharedMemoryRegister.bind(c) as Unary<Reg, object>, {
        name: object.key,
        key: object.key,
        offset: 0,
        byte_size: object.byteSize,
      });
    } catch (err) {
      object.close();
      throw err;
    }
    // Registered: the server holds its own descriptor, so the name can go now.
    object.unlink();
    this.logger?.info({ model, region: object.key, bytes: object.byteSize, slots: this.shmSlotCount }, 'tensors go through shared memory');
    return new ShmSlots(object, layout, this.shmSlotCount);
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

  /** Closes the channels; shared-memory regions are unregistered first (best effort, within a second). */
  close(): void {
    const regions = [...this.shm.values()];
    this.shm.clear();
    const closeChannels = () => {
      for (const c of this.clients) c.close();
    };
    if (!regions.length) return closeChannels();
    type Unreg = { name: string };
    const release = async (p: Promise<ShmSlots | undefined>) => {
      const slots = await p;
      if (!slots) return;
      const c = this.clients[0]!;
      await this.once(c.SystemSharedMemoryUnregister.bind(c) as Unary<Unreg, object>, { name: slots.region }, Date.now() + 1000).catch(() => undefined);
      slots.object.close();
    };
    void Promise.allSettled(regions.map(release)).then(closeChannels);
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

/** Response -> result; `fromShm` supplies an output that came back with no bytes in the message. */
function toResult(
  res: ModelInferResponse__Output,
  fromShm?: (name: string, datatype: string, shape: number[]) => Buffer | undefined,
): InferResult {
  const raw = res.raw_output_contents;
  return {
    modelName: res.model_name,
    modelVersion: res.model_version,
    id: res.id,
    outputs: res.outputs.map((o, i) => {
      const shape = o.shape.map(Number);
      const data =
        (raw[i]?.byteLength ? raw[i] : fromShm?.(o.name, o.datatype, shape)) ??
        (raw.length ? raw[i]! : contentsToRaw(o.datatype, o.contents ?? emptyContents()));
      return { name: o.name, datatype: o.datatype as TensorDatatype, shape, data };
    }),
    parameters: Object.fromEntries(
      Object.entries(res.parameters ?? {}).flatMap(([k, p]) => {
        const v = p[p.parameter_choice ?? 'string_param'];
        return v === undefined ? [] : [[k, typeof v === 'object' ? Number(v) : v]];
      }),
    ),
  };
}

function requestParameters(p: InferOptions['parameters']): Record<string, InferParameter> {
  return Object.fromEntries(
    Object.entries(p ?? {}).map(([k, v]) => [
      k,
      typeof v === 'string' ? { string_param: v } : typeof v === 'boolean' ? { bool_param: v } : Number.isInteger(v) ? { int64_param: v } : { double_param: v },
    ]),
  );
}

function emptyContents() {
  return { bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [] };
}
