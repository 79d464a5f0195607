import type { Detection, ModelConfig, TilingConfig } from '@riverwatch/common';
import { decodeDetections } from '../decode/decode-detections.ts';
import type { DecodeOptions } from '../decode/decode-options.ts';
import { decodeWaterMask } from '../mask/segmentation.ts';
import type { WaterMask } from '../mask/water-mask.ts';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import { preprocess, type PreprocessedFrame } from '../preprocess/preprocess.ts';
import type { InferTensor } from '../tensor/infer-tensor.ts';
import type { TilePlan } from '../tiling/tile-plan.ts';
import { decodeTileDetections, type TileOutputs } from '../tiling/tiled-detect.ts';
import { preprocessTiles, type PreprocessedTiles } from '../tiling/tiled-preprocess.ts';

/** The operations a vision thread runs: name -> (args) -> result. Arguments and results are structured-cloneable. */
export interface VisionOps {
  preprocess(bytes: Uint8Array, config: Pick<ModelConfig, 'input'>): Promise<PreprocessedFrame>;
  decodeDetections(outputs: InferTensor[], config: Pick<ModelConfig, 'format' | 'classes' | 'thresholds'>, transforms: FrameTransform[], opts?: DecodeOptions): Detection[][];
  decodeWaterMask(outputs: InferTensor[], config: Pick<ModelConfig, 'thresholds'>, transform: FrameTransform, width?: number, height?: number): WaterMask;
  preprocessTiles(bytes: Uint8Array, config: Pick<ModelConfig, 'input'>, tiling: Required<TilingConfig> | null): Promise<PreprocessedTiles>;
  decodeTileDetections(requests: TileOutputs[], config: Pick<ModelConfig, 'format' | 'classes' | 'thresholds'>, plan: TilePlan, opts?: DecodeOptions): Detection[];
}

/** Structured clone turns Buffers into plain Uint8Arrays; the decoders and callers expect Buffers. */
export const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));
const tensors = (ts: InferTensor[]) => ts.map((t) => ({ ...t, data: asBuffer(t.data) }));

export const visionOps: VisionOps = {
  preprocess: (bytes, config) => preprocess(bytes, config),
  decodeDetections: (outputs, config, transforms, opts) => decodeDetections(tensors(outputs), config, transforms, opts),
  decodeWaterMask: (outputs, config, transform, width, height) => decodeWaterMask(tensors(outputs), config, transform, width, height),
  preprocessTiles: (bytes, config, tiling) => preprocessTiles(bytes, config, tiling),
  decodeTileDetections: (requests, config, plan, opts) => decodeTileDetections(requests.map((r) => ({ ...r, outputs: tensors(r.outputs) })), config, plan, opts),
};
