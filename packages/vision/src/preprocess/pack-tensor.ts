import type { ModelConfig } from '@riverwatch/common';
import { float32ToFloat16Bits } from '../tensor/float16.ts';

export type InputSpec = ModelConfig['input'];

/**
 * Packs an RGB HWC uint8 image (already at input size) into the model's input
 * bytes: channel order, layout, normalisation and dtype. Pure typed-array code
 * so a worker_thread can run it; out = (pixel * scale - mean[c]) / std[c]
 * (scale > 1 is read as a divisor: pixel / scale),
 * with mean/std indexed in the model's channel order.
 */
export function packTensor(rgb: Uint8Array, input: InputSpec, out?: Buffer): Buffer {
  const { width: W, height: H, dtype, layout, colorOrder, normalize } = input;
  const plane = W * H;
  if (rgb.length !== plane * 3) throw new RangeError(`packTensor: expected ${plane * 3} bytes for ${W}x${H} RGB, got ${rgb.length}`);
  const size = dtype === 'FP32' ? 4 : dtype === 'FP16' ? 2 : 1;
  // allocUnsafeSlow: never a pooled slice, so typed-array views stay aligned.
  const buf = out ?? Buffer.allocUnsafeSlow(plane * 3 * size);
  // Source channel for each model channel.
  const src = colorOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const nchw = layout === 'NCHW';

  if (dtype === 'UINT8') {
    // uint8 models take raw pixels; normalisation happens inside the graph.
    for (let c = 0; c < 3; c++) {
      const s = src[c]!;
      for (let p = 0; p < plane; p++) buf[nchw ? c * plane + p : p * 3 + c] = rgb[p * 3 + s]!;
    }
    return buf;
  }

  // `scale` is a multiplier (1/255); a value above 1 can only mean a divisor (255, as the
  // training kit writes it), since no model takes pixels scaled up to 65025.
  const mul = normalize.scale > 1 ? 1 / normalize.scale : normalize.scale;
  // A 256-entry table per channel: normalisation costs one lookup per value.
  const lut = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    const mean = normalize.mean[c] ?? normalize.mean[0] ?? 0;
    const std = normalize.std[c] ?? normalize.std[0] ?? 1;
    for (let v = 0; v < 256; v++) t[v] = (v * mul - mean) / std;
    return t;
  });

  if (dtype === 'FP32') {
    const f = new Float32Array(buf.buffer, buf.byteOffset, plane * 3);
    for (let c = 0; c < 3; c++) {
      const s = src[c]!;
      const t = lut[c]!;
      if (nchw) for (let p = 0, o = c * plane; p < plane; p++, o++) f[o] = t[rgb[p * 3 + s]!]!;
      else for (let p = 0; p < plane; p++) f[p * 3 + c] = t[rgb[p * 3 + s]!]!;
    }
    return buf;
  }

  const h = new Uint16Array(buf.buffer, buf.byteOffset, plane * 3);
  const hl = lut.map((t) => Uint16Array.from(t, (v) => float32ToFloat16Bits(v)));
  for (let c = 0; c < 3; c++) {
    const s = src[c]!;
    const t = hl[c]!;
    if (nchw) for (let p = 0, o = c * plane; p < plane; p++, o++) h[o] = t[rgb[p * 3 + s]!]!;
    else for (let p = 0; p < plane; p++) h[p * 3 + c] = t[rgb[p * 3 + s]!]!;
  }
  return buf;
}

/** The input shape for a batch of n frames. */
export function inputShape(input: InputSpec, n = 1): number[] {
  return input.layout === 'NCHW' ? [n, 3, input.height, input.width] : [n, input.height, input.width, 3];
}
