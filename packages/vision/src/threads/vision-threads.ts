import type { Worker } from 'node:worker_threads';
import { InvalidInputError, startTsWorker } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import { asBuffer, type VisionOps } from './vision-ops.ts';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** Rebuilds the error classes callers branch on (InvalidInputError = do not retry). */
function reviveError(e: { name: string; message: string }): Error {
  if (e.name === 'InvalidInputError') return new InvalidInputError(e.message);
  if (e.name === 'ModelFormatError') return new ModelFormatError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/**
 * A small pool of worker_threads running the vision steps that are plain
 * JavaScript loops (tensor packing, output decoding, mask sampling), so a
 * BullMQ worker's event loop stays free to renew locks. Same signatures as
 * the in-thread functions, but async.
 */
export class VisionThreads {
  private readonly threads: Thread[];
  private nextId = 1;
  private closed = false;

  constructor(size = 1) {
    this.threads = Array.from({ length: Math.max(1, size) }, () => {
      const worker = startTsWorker(new URL('./vision-thread.ts', import.meta.url));
      const t: Thread = { worker, pending: new Map() };
      worker.on('message', (m: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
        const p = t.pending.get(m.id);
        if (!p) return;
        t.pending.delete(m.id);
        if (m.error) p.reject(reviveError(m.error));
        else p.resolve(m.result);
      });
      const failAll = (err: Error) => {
        for (const p of t.pending.values()) p.reject(err);
        t.pending.clear();
      };
      worker.on('error', failAll);
      worker.on('exit', (code) => failAll(new Error(`vision thread exited with code ${code}`)));
      return t;
    });
  }

  async preprocess(...args: Parameters<VisionOps['preprocess']>): ReturnType<VisionOps['preprocess']> {
    const r = (await this.call('preprocess', args)) as Awaited<ReturnType<VisionOps['preprocess']>>;
    return { ...r, tensor: asBuffer(r.tensor) };
  }

  decodeDetections(...args: Parameters<VisionOps['decodeDetections']>): Promise<ReturnType<VisionOps['decodeDetections']>> {
    return this.call('decodeDetections', args) as Promise<ReturnType<VisionOps['decodeDetections']>>;
  }

  decodeWaterMask(...args: Parameters<VisionOps['decodeWaterMask']>): Promise<ReturnType<VisionOps['decodeWaterMask']>> {
    return this.call('decodeWaterMask', args) as Promise<ReturnType<VisionOps['decodeWaterMask']>>;
  }

  async preprocessTiles(...args: Parameters<VisionOps['preprocessTiles']>): ReturnType<VisionOps['preprocessTiles']> {
    const r = (await this.call('preprocessTiles', args)) as Awaited<ReturnType<VisionOps['preprocessTiles']>>;
    return { ...r, tensor: asBuffer(r.tensor) };
  }

  decodeTileDetections(...args: Parameters<VisionOps['decodeTileDetections']>): Promise<ReturnType<VisionOps['decodeTileDetections']>> {
    return this.call('decodeTileDetections', args) as Promise<ReturnType<VisionOps['decodeTileDetections']>>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private call(op: keyof VisionOps, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('VisionThreads is closed'));
    // The least busy thread takes the request.
    const t = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      t.pending.set(id, { resolve, reject });
      t.worker.postMessage({ id, op, args });
    });
  }
}
