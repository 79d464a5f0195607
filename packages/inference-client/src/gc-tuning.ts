import { setFlagsFromString } from 'node:v8';

let applied = false;

/**
 * For a process that sends tensors (the worker, the benchmark): turns V8's
 * incremental marking off, process-wide. Each request moves ~0.3-1.5 MB
 * through off-heap Buffers but allocates little on the JS heap, so scavenges
 * (which free those Buffers cheaply) are rare and V8 instead starts a full
 * incremental mark-compact every ~10 requests because it counts the external
 * bytes against the old-generation limit: ~1.5 ms of CPU per request, for a
 * heap of ~12 MB. The inference server does the same (services/inference
 * gc-tuning.ts; docs/benchmarks.md has the measurements). Call it once, early;
 * skip it in a process whose JS heap is large (its full collections would
 * then be long stop-the-world pauses). `INFERENCE_V8_INCREMENTAL_MARKING=true`
 * makes it a no-op. Returns whether the flag was set.
 */
export function tuneGcForTensorTraffic(env: NodeJS.ProcessEnv = process.env): boolean {
  if (applied) return true;
  if (/^(1|true|yes)$/i.test(env.INFERENCE_V8_INCREMENTAL_MARKING ?? '')) return false;
  setFlagsFromString('--no-incremental-marking');
  applied = true;
  return true;
}
