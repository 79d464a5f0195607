import type { ModelConfig } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import { tensorToFloat32, type InferTensor } from '../tensor/infer-tensor.ts';
import { pickOutput } from '../decode/outputs.ts';
import { resizeMask, type WaterMask } from './water-mask.ts';

export interface SegmentationOptions {
  /** 'logits' thresholds at 0 (sigmoid 0.5), 'probabilities' at `threshold`; 'auto' reads values outside [0,1] as logits. */
  activation?: 'logits' | 'probabilities' | 'auto';
  /** Water probability threshold (default 0.5). */
  threshold?: number;
  /** Channel holding water for 2-channel outputs (default 1; channel 0 is "not water"). */
  waterChannel?: number;
}

/**
 * A segmenter's output [N, C, H, W] (C = 1: water score; C = 2: [other, water])
 * to binary water masks at frame size. Scores are sampled bilinearly at each
 * frame pixel's centre mapped into the model input, which undoes the letterbox.
 */
export function decodeSegmentation(outputs: readonly InferTensor[], transforms: readonly FrameTransform[], opts: SegmentationOptions = {}): WaterMask[] {
  const t = pickOutput(outputs, ['logits', 'mask', 'output', 'probabilities'], 'segmentation', (o) => o.shape.length === 4 || o.shape.length === 3);
  const shape = t.shape.length === 3 ? [1, ...t.shape] : t.shape;
  if (shape.length !== 4) throw new ModelFormatError(`segmentation output ${t.name} has shape [${t.shape.join(',')}], expected [batch, 1 or 2, H, W]`);
  const [n, c, h, w] = shape as [number, number, number, number];
  if (c !== 1 && c !== 2) throw new ModelFormatError(`segmentation output ${t.name} has ${c} channels, expected 1 (water) or 2 (other, water)`);
  if (n !== transforms.length) throw new ModelFormatError(`segmentation output batch is ${n}, but ${transforms.length} frames were sent`);
  const values = tensorToFloat32(t);
  const plane = h * w;
  const threshold = opts.threshold ?? 0.5;
  const waterCh = opts.waterChannel ?? 1;
  const masks: WaterMask[] = [];
  for (let b = 0; b < n; b++) {
    const tr = transforms[b]!;
    // The model may emit scores at a lower resolution than its input (stride): scale into score pixels.
    const kx = w / tr.inputWidth;
    const ky = h / tr.inputHeight;
    let score: Float32Array;
    let cut: number;
    if (c === 2) {
      // Two channels: water wins where its score beats the other (logits or softmax alike).
      score = new Float32Array(plane);
      const o0 = b * 2 * plane + (1 - waterCh) * plane;
      const o1 = b * 2 * plane + waterCh * plane;
      for (let i = 0; i < plane; i++) score[i] = values[o1 + i]! - values[o0 + i]!;
      cut = 0;
    } else {
      score = values.subarray(b * plane, (b + 1) * plane);
      cut = isLogits(score, opts.activation ?? (t.name === 'logits' ? 'logits' : 'auto')) ? Math.log(threshold / (1 - threshold)) : threshold;
    }
    masks.push(sampleMask(score, w, h, tr, kx, ky, cut));
  }
  return masks;
}

function isLogits(score: Float32Array, activation: 'logits' | 'probabilities' | 'auto'): boolean {
  if (activation !== 'auto') return activation === 'logits';
  for (let i = 0; i < score.length; i++) if (score[i]! < 0 || score[i]! > 1) return true;
  return false;
}

/** Bilinear sampling with precomputed per-column and per-row indices and weights. */
function sampleMask(score: Float32Array, w: number, h: number, tr: FrameTransform, kx: number, ky: number, cut: number): WaterMask {
  const W = tr.frameWidth;
  const H = tr.frameHeight;
  const x0 = new Int32Array(W), x1 = new Int32Array(W), fx = new Float32Array(W);
  for (let x = 0; x < W; x++) {
    const u = ((x + 0.5) * tr.scaleX + tr.padX) * kx - 0.5;
    const uc = Math.min(Math.max(u, 0), w - 1);
    x0[x] = Math.floor(uc);
    x1[x] = Math.min(x0[x]! + 1, w - 1);
    fx[x] = uc - x0[x]!;
  }
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    const v = ((y + 0.5) * tr.scaleY + tr.padY) * ky - 0.5;
    const vc = Math.min(Math.max(v, 0), h - 1);
    const y0 = Math.floor(vc);
    const r0 = y0 * w;
    const r1 = Math.min(y0 + 1, h - 1) * w;
    const fy = vc - y0;
    const o = y * W;
    for (let x = 0; x < W; x++) {
      const a = x0[x]!, bb = x1[x]!, f = fx[x]!;
      const top = score[r0 + a]! + (score[r0 + bb]! - score[r0 + a]!) * f;
      const bot = score[r1 + a]! + (score[r1 + bb]! - score[r1 + a]!) * f;
      data[o + x] = top + (bot - top) * fy > cut ? 1 : 0;
    }
  }
  return { width: W, height: H, data };
}

/** A segmenter config's default threshold (its thresholds.score, else 0.5). */
export function segmentationThreshold(config: Pick<ModelConfig, 'thresholds'>): number {
  const s = config.thresholds?.score;
  return s && s > 0 && s < 1 ? s : 0.5;
}

/**
 * One frame's water mask from a segmenter's outputs, at the frame's size
 * (width/height default to the transform's frame size).
 */
export function decodeWaterMask(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'thresholds'>, transform: FrameTransform, width?: number, height?: number): WaterMask {
  const mask = decodeSegmentation(outputs, [transform], { threshold: segmentationThreshold(config) })[0]!;
  return width && height ? resizeMask(mask, width, height) : mask;
}
