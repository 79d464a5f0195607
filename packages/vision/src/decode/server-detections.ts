import type { Detection, ModelConfig, PostprocessConfig } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import { tensorToFloat32, type InferTensor } from '../tensor/infer-tensor.ts';
import { toDetections, type InputSize } from './candidates.ts';
import type { DecodeOptions } from './decode-options.ts';
import type { NmsCandidate } from './nms.ts';
import { withBatch } from './outputs.ts';
import { ssdCandidates } from './ssd.ts';
import { ssdNmsCandidates, type BoxFormat } from './ssd-nms.ts';
import { yolov5Candidates } from './yolov5.ts';

/**
 * The output a model with server-side post-processing offers: [batch, N, 6] rows of
 * x1, y1, x2, y2, score, class in model-input pixels, highest score first. N is the
 * largest count among the request's batch items; shorter items are padded with rows
 * whose class is -1 (and everything else 0).
 */
export const DETECTIONS_OUTPUT = 'detections';
export const DETECTION_ROW = 6;

/**
 * Frame requests: instead of tensors, a client may send a detector one whole encoded frame
 * (JPEG or PNG) as the input `frame`, UINT8 [bytes]. The server then pre-processes it, runs its
 * tiles as one batch, post-processes and merges them (services/inference/src/frame-requests.ts)
 * and answers `detections` [1, N, 6] in frame pixels, with the frame's size and tile count as
 * the response parameters below. The request parameter `tiling` carries a camera's override.
 */
export const FRAME_INPUT = 'frame';
export const TILING_PARAMETER = 'tiling';
export const FRAME_PARAMETERS = { width: 'frame_width', height: 'frame_height', tiles: 'tiles' } as const;

/** A frame's merged detections (frame pixels) as the one-item `detections` tensor of a frame request. */
export function frameDetectionsTensor(dets: readonly Detection[], datatype: 'FP32' | 'FP64'): { shape: number[]; data: Buffer } {
  const { rows, counts } = detectionRows([dets.map((d) => ({ box: d.box, score: d.score, classId: d.classId }))]);
  return detectionsTensor(rows, counts, 0, 1, datatype);
}
const DEFAULT_MAX_DETECTIONS = 300;

type DetectorFormat = NonNullable<PostprocessConfig['format']>;
type DecoderConfig = Pick<ModelConfig, 'classes' | 'thresholds'> & { format: ModelConfig['format']; boxFormat?: BoxFormat };

/** A model's postprocess block with every default filled in: what the server decodes with. */
export interface ServerPostprocess {
  format: DetectorFormat;
  classes: string[];
  boxFormat?: BoxFormat;
  datatype: 'FP32' | 'FP64';
  /** The same thresholds as `options` (the decoders' config shape). */
  thresholds: { score: number; iou: number };
  /** The decoders' options, complete (scoreThreshold, iouThreshold, agnostic, maxDetections). */
  options: Required<Pick<DecodeOptions, 'scoreThreshold' | 'iouThreshold' | 'agnostic' | 'maxDetections'>>;
}

/** undefined when the model does not ask the server to post-process. Assumes checkPostprocess passed. */
export function serverPostprocess(config: Pick<ModelConfig, 'format' | 'classes' | 'thresholds' | 'postprocess'> & { boxFormat?: BoxFormat }): ServerPostprocess | undefined {
  const p = config.postprocess;
  if (!p?.enabled) return undefined;
  const score = p.scoreThreshold ?? config.thresholds.score;
  const iou = p.iouThreshold ?? config.thresholds.iou;
  return {
    format: p.format ?? (config.format as DetectorFormat),
    classes: config.classes,
    boxFormat: config.boxFormat,
    datatype: p.datatype ?? 'FP64',
    thresholds: { score, iou },
    options: { scoreThreshold: score, iouThreshold: iou, agnostic: p.agnostic ?? false, maxDetections: p.maxDetections ?? DEFAULT_MAX_DETECTIONS },
  };
}

/** A detector's raw outputs to the kept boxes of each batch item in model-input pixels (before the mapping to frames). */
export function detectorCandidates(outputs: readonly InferTensor[], config: DecoderConfig, inputs: readonly InputSize[], opts: DecodeOptions = {}): NmsCandidate[][] {
  switch (config.format) {
    case 'yolov5':
      return yolov5Candidates(outputs, config, inputs, opts);
    case 'ssd':
      return ssdCandidates(outputs, config, inputs, opts);
    case 'ssd-nms':
      return ssdNmsCandidates(outputs, config, inputs, opts);
    default:
      throw new ModelFormatError(`format ${config.format} is not a detector format (yolov5, ssd, ssd-nms)`);
  }
}

/**
 * Would the server's `detections` be what a client decoding with `opts` gets itself?
 * Yes when IoU, agnosticism and candidate caps match and the client's score threshold
 * and max count are no looser: boxes below a score never suppress boxes above it, so
 * filtering the server's list by a higher score is exact.
 */
export function serverDetectionsFit(pp: ServerPostprocess, config: Pick<ModelConfig, 'thresholds'>, opts: DecodeOptions = {}): boolean {
  return (
    (opts.iouThreshold ?? config.thresholds.iou) === pp.options.iouThreshold &&
    !!opts.agnostic === pp.options.agnostic &&
    (opts.scoreThreshold ?? config.thresholds.score) >= pp.options.scoreThreshold &&
    (opts.maxDetections ?? DEFAULT_MAX_DETECTIONS) <= pp.options.maxDetections &&
    opts.maxCandidates === undefined &&
    opts.maxCandidatesPerClass === undefined
  );
}

/** The server side: each batch item's kept boxes as rows (no padding) and their counts. */
export function detectionRows(perItem: readonly NmsCandidate[][]): { rows: Float64Array; counts: number[] } {
  const counts = perItem.map((k) => k.length);
  const rows = new Float64Array(counts.reduce((a, b) => a + b, 0) * DETECTION_ROW);
  let o = 0;
  for (const kept of perItem) {
    for (const c of kept) {
      rows.set([c.box[0]!, c.box[1]!, c.box[2]!, c.box[3]!, c.score, c.classId], o);
      o += DETECTION_ROW;
    }
  }
  return { rows, counts };
}

/**
 * Items [from, to) of detectionRows' output as one `detections` tensor [to - from, N, 6],
 * N the largest count among them, shorter items padded with class -1 rows.
 */
export function detectionsTensor(rows: Float64Array, counts: readonly number[], from: number, to: number, datatype: 'FP32' | 'FP64'): { shape: number[]; data: Buffer } {
  const n = Math.max(0, ...counts.slice(from, to));
  const Arr = datatype === 'FP64' ? Float64Array : Float32Array;
  const out = new Arr((to - from) * n * DETECTION_ROW);
  let src = counts.slice(0, from).reduce((a, b) => a + b, 0) * DETECTION_ROW;
  for (let item = from; item < to; item++) {
    const base = (item - from) * n * DETECTION_ROW;
    const len = counts[item]! * DETECTION_ROW;
    out.set(rows.subarray(src, src + len), base);
    for (let r = counts[item]!; r < n; r++) out[base + r * DETECTION_ROW + 5] = -1;
    src += len;
  }
  return { shape: [to - from, n, DETECTION_ROW], data: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}

/** The client side: a `detections` tensor to each frame's detections in frame pixels. */
export function readServerDetections(t: InferTensor, classes: readonly string[], transforms: readonly FrameTransform[], opts: DecodeOptions = {}): Detection[][] {
  const [n, rowsPerItem, width] = withBatch(t, 3, `[batch, N, ${DETECTION_ROW}]`) as [number, number, number];
  if (width !== DETECTION_ROW) throw new ModelFormatError(`${t.name} has shape [${t.shape.join(',')}], expected [batch, N, ${DETECTION_ROW}]`);
  if (transforms.length !== n) throw new ModelFormatError(`${t.name} batch is ${n}, but ${transforms.length} frames were sent`);
  const values = t.datatype === 'FP64' ? float64Values(t) : tensorToFloat32(t);
  const minScore = opts.scoreThreshold ?? -Infinity;
  const max = opts.maxDetections ?? Infinity;
  return transforms.map((transform, b) => {
    const kept: NmsCandidate[] = [];
    for (let r = 0; r < rowsPerItem && kept.length < max; r++) {
      const o = (b * rowsPerItem + r) * DETECTION_ROW;
      const classId = values[o + 5]!;
      if (classId < 0) continue; // padding
      if (!(values[o + 4]! >= minScore)) continue;
      kept.push({ box: [values[o]!, values[o + 1]!, values[o + 2]!, values[o + 3]!], score: values[o + 4]!, classId });
    }
    return toDetections(kept, classes, transform);
  });
}

function float64Values(t: InferTensor): Float64Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.byteLength !== n * 8) throw new ModelFormatError(`tensor ${t.name}: ${t.data.byteLength} bytes do not match shape [${t.shape.join(',')}] of FP64`);
  if (t.data.byteOffset % 8 === 0) return new Float64Array(t.data.buffer, t.data.byteOffset, n);
  return new Float64Array(Uint8Array.from(t.data).buffer);
}

/**
 * The outputs a client should ask a detector for: `detections` when the server decodes
 * the way `opts` would, else the raw outputs by name (a model with postprocess on
 * answers `detections` alone otherwise). undefined: the server's default (raw; no postprocess).
 */
export function detectorOutputs(config: Pick<ModelConfig, 'format' | 'classes' | 'thresholds' | 'postprocess' | 'outputs'>, opts: DecodeOptions = {}): string[] | undefined {
  const pp = serverPostprocess(config);
  if (!pp) return undefined;
  if (serverDetectionsFit(pp, config, opts)) return [DETECTIONS_OUTPUT];
  const raw = (config.outputs ?? []).map((o) => o.name);
  return raw.length ? raw : undefined;
}
