import type { Detection, ModelConfig, TilingConfig } from '@riverwatch/common';
import { decodeDetections } from '../decode/decode-detections.ts';
import type { DecodeOptions } from '../decode/decode-options.ts';
import type { InferTensor } from '../tensor/infer-tensor.ts';
import { mergeTileDetections } from './tile-merge.ts';
import type { TilePlan } from './tile-plan.ts';
import { preprocessTiles, splitBatch, type PreprocessedTiles } from './tiled-preprocess.ts';

export type DetectorConfig = Pick<ModelConfig, 'format' | 'classes' | 'thresholds' | 'input' | 'maxBatchSize'>;

/** The outputs of one request: `tiles` tiles of the plan, from tile `first` on. */
export interface TileOutputs {
  outputs: InferTensor[];
  first: number;
  tiles: number;
}

/** Decodes the outputs of a frame's tiles (requests as splitBatch cut them) and merges them into the frame's detections. */
export function decodeTileDetections(requests: readonly TileOutputs[], config: Pick<ModelConfig, 'format' | 'classes' | 'thresholds'>, plan: TilePlan, opts: DecodeOptions = {}): Detection[] {
  const perTile: Detection[][] = plan.tiles.map(() => []);
  for (const r of requests) {
    decodeDetections(r.outputs, config, plan.transforms.slice(r.first, r.first + r.tiles), opts).forEach((d, i) => (perTile[r.first + i] = d));
  }
  return mergeTileDetections(perTile, plan.tiles, plan.frameWidth, plan.frameHeight, {
    iouThreshold: opts.iouThreshold ?? config.thresholds.iou,
    agnostic: opts.agnostic,
    maxDetections: opts.maxDetections,
  });
}

/** Runs one request of tiles; `first` is the index of its first tile in the plan. */
export type InferRequest = (tensor: Buffer, shape: number[], first: number) => Promise<InferTensor[]>;

/** Runs a frame's tiles as requests of at most maxBatchSize tiles, all at once (so a server's dynamic batching sees them together). */
export function inferTiles(batch: PreprocessedTiles, maxBatchSize: number, infer: InferRequest): Promise<TileOutputs[]> {
  return Promise.all(splitBatch(batch, maxBatchSize || 1).map(async (c) => ({ outputs: await infer(c.tensor, c.shape, c.first), first: c.first, tiles: c.shape[0]! })));
}

/**
 * One frame through a detector with tiling: tiles pre-processed, inferred (inferTiles),
 * decoded and merged. `infer` runs one request (in process or over gRPC).
 */
export async function detectFrame(
  bytes: Uint8Array,
  config: DetectorConfig,
  tiling: Required<TilingConfig> | null,
  infer: InferRequest,
  opts: DecodeOptions = {},
): Promise<{ detections: Detection[]; tiles: number }> {
  const batch = await preprocessTiles(bytes, config, tiling);
  const requests = await inferTiles(batch, config.maxBatchSize, infer);
  return { detections: decodeTileDetections(requests, config, batch.plan, opts), tiles: batch.plan.tiles.length };
}
