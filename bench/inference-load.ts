/** Closed-loop load: `concurrency` callers, each sending its next request when the last returns. */
export interface LoadStats {
  requests: number;
  seconds: number;
  throughput: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

export async function closedLoop(call: () => Promise<unknown>, concurrency: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  const caller = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return latencies;
}

/**
 * Concurrency 1 for several calls side by side: one call of each per cycle, in a shuffled order,
 * until `seconds` pass. A slow stretch of the machine lands on all of them alike (the same
 * seconds, not one block each after the other), so their latencies can be compared.
 * Returns each call's latencies, in the order of `calls`. `now` (ms) is the clock, for tests.
 */
export async function interleavedLoop(calls: readonly (() => Promise<unknown>)[], seconds: number, now: () => number = () => performance.now()): Promise<number[][]> {
  const latencies = calls.map((): number[] => []);
  const indices = calls.map((_, i) => i);
  const until = now() + seconds * 1000;
  while (now() < until) {
    // No call always follows the same other one.
    for (const i of shuffled(indices)) {
      const t0 = now();
      await calls[i]!();
      latencies[i]!.push(now() - t0);
    }
  }
  return latencies;
}

/** A copy of `items` in a random order (Fisher-Yates). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(latencies: number[], seconds: number): LoadStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: latencies.length,
    seconds: round(seconds),
    throughput: round(latencies.length / seconds),
    mean: round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
  };
}

/** bench:inference's c1 figures (ms, to 0.01), from the rows' p50s by scenario key: the pooled run's and each round's. */
export interface C1AboveFloor {
  /** served p50 - in-process p50, minus the floor's own overhead: the c1 target (<= 1.0). */
  servedAboveFloorMs: number;
  shmAboveFloorMs: number;
  /** floor-grpc-js p50 - floor-in-process p50: grpc-js and a session thread with no tensor. */
  floorOverheadMs: number;
  /** |in-process - floor-in-process|: the same session in this process twice; large means the machine moved. */
  baselineSpreadMs: number;
}
export function c1AboveFloor(p50: (key: string) => number): C1AboveFloor {
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const floorOverheadMs = p50('floor-grpc-js') - p50('floor-in-process');
  const aboveFloor = (key: string) => r2(p50(key) - p50('in-process') - floorOverheadMs);
  return {
    servedAboveFloorMs: aboveFloor('served'),
    shmAboveFloorMs: aboveFloor('served-shm'),
    floorOverheadMs: r2(floorOverheadMs),
    baselineSpreadMs: r2(Math.abs(p50('in-process') - p50('floor-in-process'))),
  };
}
