import type { Logger } from '@riverwatch/common';
import { DETECTIONS_OUTPUT, detectionsTensor } from '@riverwatch/vision/decode';
import type { KserveDatatype } from './datatypes.ts';
import { ortTypeOf } from './datatypes.ts';
import { deadlineExceeded, InferError, resourceExhausted, unavailable } from './infer-error.ts';
import { inferenceMetrics } from './inference-metrics.ts';
import type { InstanceResult, ModelInstance } from './model-instance.ts';
import type { WireTensor } from './session-protocol.ts';
import type { OutputTensor, RequestTensor } from './tensor-codec.ts';
import { status } from '@grpc/grpc-js';

/**
 * grpc-js hands each message over in a freshly concatenated Buffer; a large one
 * has its own ArrayBuffer (small ones share Node's pool and are never moved).
 * The request's other fields are decoded into JS values by then, so moving the
 * buffer to the session thread takes nothing the handler still needs.
 */
const ZERO_COPY_MIN_BYTES = 256 * 1024;
function ownsLargeBuffer(data: Buffer): boolean {
  return data.buffer instanceof ArrayBuffer && data.buffer.byteLength >= ZERO_COPY_MIN_BYTES && data.byteLength >= data.buffer.byteLength / 2;
}

/**
 * What a request's input holds once its bytes are stacked into a batch. Its
 * own buffer (grpc-js's reassembly of the message, ~0.7 MB for a frame) would
 * otherwise stay referenced until the answer is sent, long enough at
 * concurrency 8 to reach V8's old generation, where only a mark-compact frees
 * it: one stop-the-world "external memory pressure" collection (~20 ms, plus
 * the helper threads) every ~64 MB of such buffers, ~2 per 100 requests.
 * Released here, after its queue wait, it usually dies in a scavenge.
 */
const RELEASED = Buffer.alloc(0);

/** A validated request waiting for an instance. */
export interface QueuedRequest {
  /** In the model's input order. */
  inputs: RequestTensor[];
  outputs: string[];
  /** Samples along the batch dimension (1 for models without one). */
  batch: number;
  /** Requests stack only with others of the same key (non-batch shapes, outputs). */
  key: string;
  /** Epoch ms; Infinity when the client set none. */
  deadline: number;
  isCancelled(): boolean;
}

export interface SchedulerOptions {
  label: string;
  instances: ModelInstance[];
  /** 0: inputs have no batch dimension. */
  maxBatchSize: number;
  /** Stack concurrent requests along the batch dimension. */
  stack: boolean;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  outputTypes: Map<string, KserveDatatype>;
  logger: Logger;
  /** Starts a replacement when a session thread dies. */
  respawn(): Promise<ModelInstance>;
}

interface Waiting extends QueuedRequest {
  enqueuedAt: number;
  resolve(outputs: OutputTensor[]): void;
  reject(err: Error): void;
}

/**
 * Per model version: a queue in front of the session instances. With dynamic
 * batching, requests wait up to maxQueueDelayMs for company, are stacked along
 * dimension 0 into one run of at most maxBatchSize, and the outputs are split back.
 *
 * A caller that is alone is not kept waiting for company that never comes: when
 * the last run carried one request and nothing arrived while it ran, the next
 * request finding every instance idle runs at once. The first sign of
 * concurrency (a second request queued during a run) brings the wait back.
 */
export class ModelScheduler {
  private readonly queue: Waiting[] = [];
  private readonly idle: ModelInstance[];
  private readonly instances: ModelInstance[];
  private timer: NodeJS.Timeout | undefined;
  private busy = 0;
  /** The last run carried one request and nothing arrived while it ran. */
  private alone = false;
  private drainWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.idle = [...opts.instances];
    this.instances = [...opts.instances];
  }

  get depth(): number {
    return this.queue.length;
  }

  submit(req: QueuedRequest): Promise<OutputTensor[]> {
    const model = this.opts.label;
    if (this.closed) return Promise.reject(unavailable(`model ${model} is unloading`));
    if (req.deadline <= Date.now()) {
      inferenceMetrics.dropped.inc({ model, reason: 'deadline' });
      return Promise.reject(deadlineExceeded('deadline expired before the request was queued'));
    }
    if (this.queue.length >= this.opts.maxQueueSize) {
      inferenceMetrics.dropped.inc({ model, reason: 'queue_full' });
      return Promise.reject(resourceExhausted(`queue of model ${model} is full (${this.opts.maxQueueSize} waiting); retry later`));
    }
    return new Promise<OutputTensor[]>((resolve, reject) => {
      this.queue.push({ ...req, enqueuedAt: performance.now(), resolve, reject });
      this.pump();
    });
  }

  /** Resolves once nothing is queued or running (the caller stopped routing here). */
  drain(): Promise<void> {
    if (!this.queue.length && !this.busy) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.drain();
    clearTimeout(this.timer);
    await Promise.all(this.instances.map((i) => i.stop()));
  }

  /** Requests whose client is gone are dropped here, before any compute is spent on them. */
  private dropExpired(): void {
    const now = Date.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const r = this.queue[i];
      // grpc-js also cancels a call when its deadline passes, so the deadline is checked first.
      const reason = r.deadline <= now ? 'deadline' : r.isCancelled() ? 'cancelled' : undefined;
      if (!reason) continue;
      this.queue.splice(i, 1);
      inferenceMetrics.dropped.inc({ model: this.opts.label, reason });
      r.reject(
        reason === 'cancelled'
          ? new InferError(status.CANCELLED, 'request cancelled while queued')
          : deadlineExceeded('deadline expired while queued; not computed'),
      );
    }
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dropExpired();
    while (this.idle.length && this.queue.length) {
      const batch = this.takeBatch();
      if (!batch) break;
      void this.dispatch(this.idle.pop()!, batch);
    }
    this.notifyDrained();
  }

  /** The next batch to run now, or undefined to wait (and a timer to come back). */
  private takeBatch(): Waiting[] | undefined {
    const { stack, maxBatchSize, maxQueueDelayMs } = this.opts;
    if (!stack) return [this.queue.shift()!];
    const head = this.queue[0];
    const picked: number[] = [];
    let size = 0;
    let full = false;
    for (let i = 0; i < this.queue.length; i++) {
      const r = this.queue[i];
      if (r.key !== head.key) continue;
      if (size + r.batch > maxBatchSize) {
        full = true;
        break;
      }
      picked.push(i);
      size += r.batch;
      if (size === maxBatchSize) {
        full = true;
        break;
      }
    }
    const waited = performance.now() - head.enqueuedAt;
    const loneCaller = this.alone && this.busy === 0 && this.queue.length === 1;
    if (!full && waited < maxQueueDelayMs && !loneCaller) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(maxQueueDelayMs - waited)));
      return undefined;
    }
    const batch = picked.map((i) => this.queue[i]);
    for (let k = picked.length - 1; k >= 0; k--) this.queue.splice(picked[k], 1);
    return batch;
  }

  private async dispatch(instance: ModelInstance, batch: Waiting[]): Promise<void> {
    this.busy++;
    const model = this.opts.label;
    const started = performance.now();
    for (const r of batch) inferenceMetrics.queueSeconds.observe({ model }, (started - r.enqueuedAt) / 1000);
    const total = batch.reduce((n, r) => n + r.batch, 0);
    inferenceMetrics.batchSize.observe({ model }, total);
    try {
      const feeds = this.stackInputs(batch, total);
      // `detections` is no model output: the session thread decodes the raw ones into it.
      const wanted = batch[0].outputs;
      const postprocess = wanted.includes(DETECTIONS_OUTPUT) ? { batch: total } : undefined;
      const result = await instance.run(feeds, wanted.filter((o) => o !== DETECTIONS_OUTPUT), postprocess);
      inferenceMetrics.computeSeconds.observe({ model }, result.computeMs / 1000);
      if (result.decodeMs !== undefined) inferenceMetrics.decodeSeconds.observe({ model }, result.decodeMs / 1000);
      this.splitOutputs(batch, total, result);
    } catch (err) {
      this.opts.logger.error({ err, model, batch: total }, 'inference run failed');
      const e = err instanceof InferError ? err : new InferError(status.INTERNAL, `inference failed: ${(err as Error).message}`);
      for (const r of batch) r.reject(e);
    } finally {
      this.busy--;
      this.alone = batch.length === 1 && this.busy === 0 && this.queue.length === 0;
      if (instance.alive) this.idle.push(instance);
      else this.replace(instance);
      this.pump();
    }
  }

  /** A dead session thread is replaced; queued requests wait for it (or their deadline). */
  private replace(dead: ModelInstance, attempt = 0): void {
    if (this.closed) return;
    const model = this.opts.label;
    this.opts.logger.error({ model, attempt }, 'session thread died; starting a new one');
    this.opts.respawn().then(
      (fresh) => {
        const i = this.instances.indexOf(dead);
        if (i >= 0) this.instances[i] = fresh;
        else this.instances.push(fresh);
        if (this.closed) {
          void fresh.stop();
          return;
        }
        this.idle.push(fresh);
        this.pump();
      },
      (err: Error) => {
        this.opts.logger.error({ model, err: err.message }, 'could not restart the session thread');
        setTimeout(() => this.replace(dead, attempt + 1), Math.min(1000 * 2 ** attempt, 30_000)).unref();
      },
    );
  }

  private stackInputs(batch: Waiting[], total: number): Record<string, WireTensor> {
    const feeds: Record<string, WireTensor> = {};
    const first = batch[0];
    first.inputs.forEach((input, idx) => {
      if (batch.length === 1 && ownsLargeBuffer(input.data)) {
        // Zero copy on the event loop: the whole request buffer moves to the session thread.
        feeds[input.name] = {
          type: ortTypeOf(input.datatype),
          dims: input.shape,
          data: input.data.buffer as ArrayBuffer,
          byteOffset: input.data.byteOffset,
          byteLength: input.data.byteLength,
        };
        return;
      }
      const bytes = batch.reduce((n, r) => n + r.inputs[idx].data.byteLength, 0);
      // A fresh ArrayBuffer (never Node's shared pool): it is transferred to the worker.
      const data = new ArrayBuffer(bytes);
      const view = new Uint8Array(data);
      let offset = 0;
      for (const r of batch) {
        view.set(r.inputs[idx].data, offset);
        offset += r.inputs[idx].data.byteLength;
        r.inputs[idx].data = RELEASED;
      }
      const dims = this.opts.maxBatchSize > 0 ? [total, ...input.shape.slice(1)] : input.shape;
      feeds[input.name] = { type: ortTypeOf(input.datatype), dims, data };
    });
    return feeds;
  }

  private splitOutputs(batch: Waiting[], total: number, result: InstanceResult): void {
    const perRequest: OutputTensor[][] = batch.map(() => []);
    const outputs = result.outputs;
    for (const name of batch[0].outputs) {
      const datatype = this.opts.outputTypes.get(name)!;
      if (name === DETECTIONS_OUTPUT) {
        // Each request gets its own items' rows, padded only to its own largest count.
        const { rows, counts } = result.detections!;
        if (counts.length !== total) throw new Error(`${DETECTIONS_OUTPUT}: ${counts.length} items decoded, expected the batch size ${total}`);
        let item = 0;
        batch.forEach((r, i) => {
          const t = detectionsTensor(new Float64Array(rows), counts, item, item + r.batch, datatype === 'FP32' ? 'FP32' : 'FP64');
          perRequest[i].push({ name, datatype, ...t });
          item += r.batch;
        });
        continue;
      }
      const t = outputs[name];
      if (batch.length === 1) {
        perRequest[0].push({ name, datatype, shape: t.dims, data: Buffer.from(t.data) });
        continue;
      }
      if (t.dims[0] !== total) throw new Error(`output ${name} has dim 0 = ${t.dims[0]}, expected the batch size ${total}`);
      const bytesPerSample = t.data.byteLength / total;
      let offset = 0;
      batch.forEach((r, i) => {
        const len = r.batch * bytesPerSample;
        perRequest[i].push({ name, datatype, shape: [r.batch, ...t.dims.slice(1)], data: Buffer.from(t.data, offset, len) });
        offset += len;
      });
    }
    batch.forEach((r, i) => r.resolve(perRequest[i]));
  }

  private notifyDrained(): void {
    if (this.queue.length || this.busy || !this.drainWaiters.length) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
