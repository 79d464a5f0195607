import { ModelFormatError } from '../errors.ts';
import type { InferTensor } from '../tensor/infer-tensor.ts';

/** The output with one of these names, else the only output matching `fallback`. */
export function pickOutput(outputs: readonly InferTensor[], names: readonly string[], what: string, fallback?: (t: InferTensor) => boolean): InferTensor {
  for (const n of names) {
    const t = outputs.find((o) => o.name === n);
    if (t) return t;
  }
  if (fallback) {
    const matches = outputs.filter(fallback);
    if (matches.length === 1) return matches[0]!;
  }
  throw new ModelFormatError(`no ${what} output: expected one named ${names.join(' or ')}, got ${outputs.map((o) => `${o.name}[${o.shape.join(',')}]`).join(', ') || 'none'}`);
}

/** Adds a batch dimension of 1 to exports that leave it out, and checks the rank. */
export function withBatch(t: InferTensor, rank: number, expect: string): number[] {
  const shape = t.shape.length === rank - 1 ? [1, ...t.shape] : t.shape;
  if (shape.length !== rank) throw new ModelFormatError(`output ${t.name} has shape [${t.shape.join(',')}], expected ${expect}`);
  return shape;
}
