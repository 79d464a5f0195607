import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './errors.ts';

/** models/<name>/config.json: what a model is and how to feed and read it. */
export interface ModelConfig {
  name: string;
  task: 'detect' | 'segment';
  format: 'yolov5' | 'ssd' | 'ssd-nms' | 'segmentation';
  platform: 'onnxruntime_onnx';
  input: {
    name: string;
    dtype: 'FP32' | 'FP16' | 'UINT8';
    layout: 'NCHW' | 'NHWC';
    width: number;
    height: number;
    colorOrder: 'RGB' | 'BGR';
    resize: 'letterbox' | 'stretch';
    padValue?: number;
    normalize: { scale: number; mean: number[]; std: number[] };
  };
  outputs: { name: string; dtype: string; dims: number[] }[];
  classes: string[];
  thresholds: { score: number; iou: number };
  maxBatchSize: number;
  dynamicBatching?: { maxQueueDelayMs: number; maxQueueSize?: number };
  instances?: number;
  evaluation?: Record<string, unknown>;
  /** Detectors: run over overlapping tiles of the frame at (near) native resolution. */
  tiling?: TilingConfig;
}

/**
 * Sliced inference (as SAHI does): a frame larger than one tile is cut into overlapping
 * tiles, each run at the model's input size, and the detections merged. A 1280x720 frame
 * run whole through a 640x384 input halves a 10 px bottle to 5 px; tiles keep it at 10 px.
 */
export interface TilingConfig {
  enabled: boolean;
  /** Tile size in frame pixels (default: the model's input size, i.e. native resolution). */
  tileWidth?: number;
  tileHeight?: number;
  /** Minimum overlap of neighbouring tiles, as a fraction of the tile (0-0.5); objects smaller than it are whole in some tile. */
  overlap: number;
  /** Also run the whole frame, letterboxed, for objects larger than a tile. */
  fullFrame: boolean;
}

/** A camera may override any part of its detector's tiling. */
export type TilingOverride = Partial<TilingConfig>;

/** Refuses tiling settings that cannot work, naming the field. */
export function checkTiling(t: TilingOverride): void {
  for (const k of ['tileWidth', 'tileHeight'] as const) {
    const v = t[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 32 || v > 8192)) throw new ConfigError(`tiling.${k} must be an integer from 32 to 8192, got ${v}`);
  }
  if (t.overlap !== undefined && !(t.overlap >= 0 && t.overlap <= 0.5)) throw new ConfigError(`tiling.overlap must be from 0 to 0.5, got ${t.overlap}`);
  if (t.enabled !== undefined && typeof t.enabled !== 'boolean') throw new ConfigError(`tiling.enabled must be true or false`);
  if (t.fullFrame !== undefined && typeof t.fullFrame !== 'boolean') throw new ConfigError(`tiling.fullFrame must be true or false`);
}


/** Numeric version folders of a Triton-layout model dir that hold a model.onnx, highest first. */
export async function modelVersions(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const versions: string[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    if (await stat(join(dir, n, 'model.onnx')).then((s) => s.isFile(), () => false)) versions.push(n);
  }
  return versions.sort((a, b) => Number(b) - Number(a));
}
