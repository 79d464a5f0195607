import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';

/**
 * Fixed-seed fuzzing with fast-check. Each surface has its own seed (derived from
 * FUZZ_SEED and the surface's name, so adding a surface never changes another's
 * inputs) and a run count (FUZZ_RUNS overrides every default). Both are printed.
 * A failing input, shrunk by fast-check, is written to test/fuzz/regressions/<surface>/
 * and replayed by that surface's test on every later run.
 */

export const REGRESSIONS_DIR = new URL('../regressions/', import.meta.url).pathname;

/** The base seed unless FUZZ_SEED says otherwise. */
const DEFAULT_SEED = 17_2025;

export interface FuzzSurface {
  name: string;
  seed: number;
  runs: number;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got '${raw}'`);
  return n;
}

/**
 * A surface's seed and run count. `fullRuns` is the count `npm run test:fuzz` runs
 * (FUZZ_FULL=1); inside `npm test` a tenth of it runs, so the suite stays quick.
 * FUZZ_RUNS replaces either.
 */
export function fuzzSurface(name: string, fullRuns: number): FuzzSurface {
  const base = envInt('FUZZ_SEED') ?? DEFAULT_SEED;
  const offset = createHash('sha256').update(name).digest().readUInt32BE(0);
  const seed = (base ^ offset) | 0;
  const full = process.env.FUZZ_FULL === '1';
  const count = envInt('FUZZ_RUNS') ?? (full ? fullRuns : Math.max(1, Math.ceil(fullRuns / 10)));
  const mode = process.env.FUZZ_RUNS ? 'FUZZ_RUNS' : full ? 'full' : 'quick (npm run test:fuzz runs the full count)';
  console.log(`[fuzz] ${name}: seed=${seed} runs=${count} ${mode}; replay: FUZZ_SEED=${base} FUZZ_RUNS=${count} npx vitest run test/fuzz`);
  return { name, seed, runs: count };
}

/** JSON with bytes: Uint8Array/Buffer values become {"$bytes": base64}. */
function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value === undefined) return { $undefined: true };
  return value;
}

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
    if (typeof o.$number === 'string') return Number(o.$number);
    if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
    if (o.$undefined === true) return undefined;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

export interface RegressionCase<T> {
  file: string;
  input: T;
  /** What went wrong when the input was found (or why it was written by hand). */
  error: string;
  /** The input is a batch of inputs that failed only together: replay them at once. */
  batch: boolean;
}

/** The saved failing inputs of a surface (none when the folder is absent). */
export function regressionCases<T>(surface: string): RegressionCase<T>[] {
  const dir = join(REGRESSIONS_DIR, surface);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const saved = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { input: unknown; error: string; batch?: boolean };
      return { file: `${surface}/${f}`, input: decode(saved.input) as T, error: saved.error, batch: saved.batch === true };
    });
}

/** Writes a failing input where regressionCases() finds it; the file's path. */
export function saveRegression(surface: FuzzSurface, input: unknown, error: string, replayPath?: string, batch = false): string {
  const dir = join(REGRESSIONS_DIR, surface.name);
  mkdirSync(dir, { recursive: true });
  const body = encode(input);
  const id = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify({ surface: surface.name, seed: surface.seed, path: replayPath, error, ...(batch ? { batch } : {}), input: body }, null, 2) + '\n');
  return file;
}

/**
 * Runs `check` on `surface.runs` inputs drawn from `arb` with the surface's seed.
 * The first failure is shrunk, saved as a regression case, and fails the test
 * with the seed, the file and the error.
 *
 * `concurrency` > 1 (network surfaces, where one call mostly waits): inputs are
 * drawn in batches of that size and checked together; a failing batch is not
 * shrunk, its inputs are re-checked one by one and the first that fails alone is
 * saved (the whole batch when none does: the failure needed them together).
 */
export async function fuzz<T>(
  surface: FuzzSurface,
  arb: fc.Arbitrary<T>,
  check: (input: T) => Promise<void> | void,
  opts: { shrink?: boolean; concurrency?: number } = {},
): Promise<void> {
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  if (concurrency === 1) {
    const details = await fc.check(
      fc.asyncProperty(arb, async (input) => {
        await check(input);
      }),
      { seed: surface.seed, numRuns: surface.runs, endOnFailure: opts.shrink === false },
    );
    if (details.failed) fail(surface, details.counterexample?.[0], details.errorInstance, details.numRuns, details.counterexamplePath);
    return;
  }
  const batches = Math.ceil(surface.runs / concurrency);
  const details = await fc.check(
    fc.asyncProperty(fc.array(arb, { minLength: concurrency, maxLength: concurrency }), async (batch) => {
      await Promise.all(batch.map(async (input) => check(input)));
    }),
    { seed: surface.seed, numRuns: batches, endOnFailure: true },
  );
  if (!details.failed) return;
  const batch = details.counterexample?.[0] ?? [];
  for (const input of batch) {
    const alone = await Promise.resolve()
      .then(() => check(input))
      .then(
        () => undefined,
        (err: unknown) => err ?? new Error('failed'),
      );
    if (alone) fail(surface, input, alone, details.numRuns * concurrency, details.counterexamplePath);
  }
  fail(surface, batch, details.errorInstance, details.numRuns * concurrency, details.counterexamplePath, true);
}

function fail(surface: FuzzSurface, input: unknown, err: unknown, runs: number, path: string | null | undefined, batch = false): never {
  const error = err instanceof Error ? err.message : String(err);
  const file = saveRegression(surface, input, error, path ?? undefined, batch);
  throw new Error(
    `fuzz ${surface.name} failed after ${runs} inputs (seed ${surface.seed}, path ${path}): ${error}\n` +
      `failing input saved to ${file}; it is replayed as a regression case from now on`,
  );
}

/** Replays every saved case of a surface through `check`; each failure names its file. */
export async function replayRegressions<T>(surface: string, check: (input: T) => Promise<void> | void): Promise<number> {
  const cases = regressionCases<T>(surface);
  for (const c of cases) {
    try {
      if (c.batch) await Promise.all((c.input as T[]).map(async (input) => check(input)));
      else await check(c.input);
    } catch (err) {
      throw new Error(`regression case ${c.file} (first seen as: ${c.error}) fails again: ${(err as Error).message}`);
    }
  }
  return cases.length;
}

let gcFn: (() => void) | undefined;

/** A full garbage collection, without needing node --expose-gc on the command line. */
export function collectGarbage(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

/** Memory after a full GC. */
export function memoryAfterGc(): MemorySample {
  collectGarbage();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external + m.arrayBuffers };
}

const MiB = 1024 * 1024;

/**
 * Memory growth from `before` to now (after GC), printed; fails past the bounds.
 * The bounds are generous: they catch a leak per input (10k inputs of a few KB
 * each leaked is tens of MB), not allocator noise.
 */
export function assertMemoryBounded(surface: string, before: MemorySample, bounds: { heapMiB?: number; rssMiB?: number } = {}): void {
  const after = memoryAfterGc();
  const heap = (after.heapUsedBytes - before.heapUsedBytes) / MiB;
  const rss = (after.rssBytes - before.rssBytes) / MiB;
  const external = (after.externalBytes - before.externalBytes) / MiB;
  console.log(
    `[fuzz] ${surface}: memory after GC: heap ${(before.heapUsedBytes / MiB).toFixed(1)} -> ${(after.heapUsedBytes / MiB).toFixed(1)} MiB (${heap >= 0 ? '+' : ''}${heap.toFixed(1)}), ` +
      `rss ${(before.rssBytes / MiB).toFixed(0)} -> ${(after.rssBytes / MiB).toFixed(0)} MiB (${rss >= 0 ? '+' : ''}${rss.toFixed(0)}), external ${external >= 0 ? '+' : ''}${external.toFixed(1)} MiB`,
  );
  const heapBound = bounds.heapMiB ?? 48;
  const rssBound = bounds.rssMiB ?? 256;
  if (heap > heapBound) throw new Error(`${surface}: heap grew by ${heap.toFixed(1)} MiB after GC (bound ${heapBound} MiB)`);
  if (rss > rssBound) throw new Error(`${surface}: RSS grew by ${rss.toFixed(0)} MiB after GC (bound ${rssBound} MiB)`);
}
