import { setFlagsFromString } from 'node:v8';

/**
 * Tensor traffic and V8's incremental marking do not mix. Every request moves
 * ~0.3-1.5 MB through off-heap ArrayBuffers (HTTP/2 reads, gRPC framing,
 * protobuf encoding, thread transfers) while allocating only ~75 KB on the JS
 * heap, so young-generation scavenges (which free those buffers for ~1-3 ms)
 * come rarely. V8 counts the external bytes allocated since the last
 * mark-compact against the old-generation limit, so with incremental marking
 * on it starts a full incremental mark-compact (~15-20 ms of CPU on the event
 * loop and V8's helper threads) every ~10 requests of a 320x320 detector, for
 * a heap that stays at ~12 MB. Measured: ~1.5 ms of event-loop CPU per request
 * on each side of the connection, plus the helper threads.
 *
 * Without incremental marking, V8 frees the buffers in scavenges (~2.5 ms)
 * and runs a stop-the-world mark-compact (~10-20 ms on this small heap) only
 * when the old generation fills: about once per 50 requests instead of once
 * per 10, and without the helper threads. Flags set at run time apply
 * to the whole process (every isolate created later too), which is why the
 * inference server only does this when started with `tuneGc` (the default for
 * the service); a process that also keeps a large JS heap may prefer its
 * incremental marking (`INFERENCE_V8_INCREMENTAL_MARKING=true` keeps it).
 */
let applied = false;

export function tuneGcForTensorTraffic(env: NodeJS.ProcessEnv = process.env): boolean {
  if (applied) return true;
  if (/^(1|true|yes)$/i.test(env.INFERENCE_V8_INCREMENTAL_MARKING ?? '')) return false;
  setFlagsFromString('--no-incremental-marking');
  applied = true;
  return true;
}
