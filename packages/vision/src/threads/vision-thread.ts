// worker_threads entry: runs vision operations for VisionThreads, off the caller's event loop.
import { parentPort } from 'node:worker_threads';
import { visionOps, type VisionOps } from './vision-ops.ts';

interface Request {
  id: number;
  op: keyof VisionOps;
  args: unknown[];
}

parentPort!.on('message', async ({ id, op, args }: Request) => {
  try {
    const fn = visionOps[op] as (...a: unknown[]) => unknown;
    if (typeof fn !== 'function') throw new Error(`unknown vision operation ${String(op)}`);
    const result = await fn(...args);
    // Hand big results over without copying them.
    const transfer: ArrayBuffer[] = [];
    const r = result as { tensor?: Uint8Array; data?: Uint8Array };
    for (const view of [r?.tensor, r?.data]) if (view && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer) transfer.push(view.buffer);
    parentPort!.postMessage({ id, result }, transfer);
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id, error: { name: e.name, message: e.message } });
  }
});
