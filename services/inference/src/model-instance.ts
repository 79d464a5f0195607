import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '@riverwatch/common';
import type { FromWorker, SessionWorkerData, TensorSpec, ToWorker, WireDetections, WireTensor } from './session-protocol.ts';

export interface InstanceInfo {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  provider: string;
  /** Set when CUDA was asked for and the instance fell back to CPU. */
  fallback?: string;
}

export interface InstanceResult {
  outputs: Record<string, WireTensor>;
  /** Set when the run was asked to post-process. */
  detections?: WireDetections;
  computeMs: number;
  decodeMs?: number;
}

const ENTRY = new URL('./session-worker.ts', import.meta.url);

/** One onnxruntime session in its own worker thread; runs one batch at a time. */
export class ModelInstance {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: InstanceResult): void; reject(e: Error): void }>();
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    readonly info: InstanceInfo,
  ) {
    worker.on('message', (msg: FromWorker) => {
      if (msg.kind !== 'result' && msg.kind !== 'error') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.kind === 'result') p.resolve({ outputs: msg.outputs, detections: msg.detections, computeMs: msg.computeMs, decodeMs: msg.decodeMs });
      else p.reject(new Error(msg.message));
    });
    const failAll = (err: Error) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`session worker exited with code ${code}`)));
  }

  static async start(data: SessionWorkerData): Promise<ModelInstance> {
    const worker = startTsWorker(ENTRY, { data });
    const info = await new Promise<InstanceInfo>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`session worker exited with code ${code} while loading ${data.modelPath}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (msg: FromWorker) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (msg.kind === 'ready') resolve({ inputs: msg.inputs, outputs: msg.outputs, provider: msg.provider, fallback: msg.fallback });
        else reject(new Error(msg.kind === 'failed' ? msg.message : `unexpected ${msg.kind} from session worker`));
      });
    }).catch(async (err: Error) => {
      await worker.terminate();
      throw err;
    });
    return new ModelInstance(worker, info);
  }

  /** False once the thread has exited (crashed, or out of memory); it never runs again. */
  get alive(): boolean {
    return !this.exited;
  }

  /** `postprocess`: also decode the run's `batch` items on the session thread (the model's postprocess block). */
  run(feeds: Record<string, WireTensor>, outputs: string[], postprocess?: { batch: number }): Promise<InstanceResult> {
    if (this.exited) return Promise.reject(new Error('session worker has exited'));
    const id = this.nextId++;
    const msg: ToWorker = { kind: 'run', id, feeds, outputs, postprocess };
    return new Promise<InstanceResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const buffers = [...new Set(Object.values(feeds).map((f) => f.data))];
      try {
        this.worker.postMessage(msg, buffers);
      } catch {
        // A buffer Node will not let go of (DataCloneError): send copies instead.
        for (const f of Object.values(msg.feeds)) {
          const start = f.byteOffset ?? 0;
          f.data = f.data.slice(start, start + (f.byteLength ?? f.data.byteLength));
          f.byteOffset = undefined;
          f.byteLength = undefined;
        }
        this.worker.postMessage(msg, Object.values(msg.feeds).map((f) => f.data));
      }
    });
  }

  async stop(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
  }
}
