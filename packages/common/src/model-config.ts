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
  /** Detectors: the inference server decodes and runs NMS itself and offers a small `detections` output. */
  postprocess?: PostprocessConfig;
}

/**
 * Server-side post-processing (as a Triton ensemble or a DeepStream parser does): the
 * inference server decodes the raw output with the same decoders the worker uses
 * (packages/vision/src/decode), runs NMS and returns `detections` [batch, N, 6] rows of
 * x1, y1, x2, y2, score, class in model-input pixels. The raw output stays servable by name.
 * Unset fields take the model's own values (format, thresholds) or the decoders' defaults.
 */
export interface PostprocessConfig {
  enabled: boolean;
  /** The decoder: yolov5, ssd (anchors + softmax scores) or ssd-nms (NMS in the graph). Default: the model's format. */
  format?: 'yolov5' | 'ssd' | 'ssd-nms';
  /** Default: thresholds.score. */
  scoreThreshold?: number;
  /** Default: thresholds.iou. */
  iouThreshold?: number;
  /** Class-agnostic NMS (default false: class-aware). */
  agnostic?: boolean;
  /** Per batch item, after NMS (default 300). */
  maxDetections?: number;
  /** FP64 (default: the worker's own decode, bit for bit) or FP32. */
  datatype?: 'FP32' | 'FP64';
}

const POSTPROCESS_FIELDS = new Set(['enabled', 'format', 'scoreThreshold', 'iouThreshold', 'agnostic', 'maxDetections', 'datatype']);

/**
 * Refuses a postprocess block that cannot work, naming the field. `model` is the rest of
 * config.json: the decoders need its classes, and ssd boxes its input size.
 */
export function checkPostprocess(p: unknown, model: Partial<Pick<ModelConfig, 'format' | 'classes' | 'thresholds' | 'input'>>): PostprocessConfig {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new ConfigError(`postprocess must be an object, got ${JSON.stringify(p)}`);
  const raw = p as Record<string, unknown>;
  for (const k of Object.keys(raw)) if (!POSTPROCESS_FIELDS.has(k)) throw new ConfigError(`postprocess.${k} is not a postprocess setting (${[...POSTPROCESS_FIELDS].join(', ')})`);
  const bool = (k: string) => {
    if (raw[k] !== undefined && typeof raw[k] !== 'boolean') throw new ConfigError(`postprocess.${k} must be true or false, got ${JSON.stringify(raw[k])}`);
  };
  const fraction = (k: string) => {
    const v = raw[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw new ConfigError(`postprocess.${k} must be a number from 0 to 1, got ${JSON.stringify(v)}`);
  };
  bool('enabled');
  bool('agnostic');
  fraction('scoreThreshold');
  fraction('iouThreshold');
  const max = raw.maxDetections;
  if (max !== undefined && !(typeof max === 'number' && Number.isInteger(max) && max >= 1 && max <= 10_000)) {
    throw new ConfigError(`postprocess.maxDetections must be an integer from 1 to 10000, got ${JSON.stringify(max)}`);
  }
  if (raw.datatype !== undefined && raw.datatype !== 'FP32' && raw.datatype !== 'FP64') throw new ConfigError(`postprocess.datatype must be FP32 or FP64, got ${JSON.stringify(raw.datatype)}`);
  const format = raw.format ?? model.format;
  if (format !== 'yolov5' && format !== 'ssd' && format !== 'ssd-nms') {
    throw new ConfigError(`postprocess.format must be yolov5, ssd or ssd-nms (the model's format is ${JSON.stringify(model.format)}), got ${JSON.stringify(format)}`);
  }
  if (raw.enabled === undefined) throw new ConfigError('postprocess.enabled must be true or false, got undefined');
  if (raw.enabled) {
    if (!Array.isArray(model.classes) || !model.classes.length || !model.classes.every((c) => typeof c === 'string')) {
      throw new ConfigError('postprocess needs classes: a non-empty list of class names (the decoder checks the output width against it)');
    }
    const t = model.thresholds;
    if (raw.scoreThreshold === undefined && !(typeof t?.score === 'number' && t.score >= 0 && t.score <= 1)) throw new ConfigError('postprocess.scoreThreshold is unset and thresholds.score is not a number from 0 to 1');
    if (raw.iouThreshold === undefined && !(typeof t?.iou === 'number' && t.iou >= 0 && t.iou <= 1)) throw new ConfigError('postprocess.iouThreshold is unset and thresholds.iou is not a number from 0 to 1');
    const size = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
    if (format !== 'yolov5' && !(size(model.input?.width) && size(model.input?.height))) {
      throw new ConfigError(`postprocess.format ${format} needs input.width and input.height (normalised boxes are scaled to input pixels)`);
    }
  }
  return raw as unknown as PostprocessConfig;
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
