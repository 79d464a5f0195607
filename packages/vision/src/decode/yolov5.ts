import type { Detection, ModelConfig } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import { tensorToFloat32, type InferTensor } from '../tensor/infer-tensor.ts';
import { toDetections, type InputSize } from './candidates.ts';
import type { DecodeOptions } from './decode-options.ts';
import { nms, type NmsCandidate } from './nms.ts';
import { pickOutput, withBatch } from './outputs.ts';

/**
 * YOLOv5's export layout: [N, rows, 5 + C] with cx, cy, w, h in input pixels and
 * objectness and class scores already sigmoid-ed. Rows depend on the input size
 * (any count is accepted); score = objectness * best class score, as in YOLOv5's NMS.
 */
export function decodeYolov5(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'classes' | 'thresholds'>, transforms: readonly FrameTransform[], opts: DecodeOptions = {}): Detection[][] {
  return yolov5Candidates(outputs, config, transforms, opts).map((kept, b) => toDetections(kept, config.classes, transforms[b]!));
}

/** decodeYolov5 up to NMS: the kept boxes of each batch item, in model-input pixels. */
export function yolov5Candidates(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'classes' | 'thresholds'>, inputs: readonly InputSize[], opts: DecodeOptions = {}): NmsCandidate[][] {
  const out = pickOutput(outputs, ['output0', 'output'], 'YOLOv5', (t) => t.shape.length === 3 || t.shape.length === 2);
  const [n, rows, width] = withBatch(out, 3, '[batch, rows, 5 + classes]') as [number, number, number];
  const nc = config.classes.length;
  if (width !== 5 + nc) {
    throw new ModelFormatError(`YOLOv5 output ${out.name} has ${width} values per row, expected 5 + ${nc} classes = ${5 + nc} (shape [${out.shape.join(',')}])`);
  }
  if (inputs.length !== n) throw new ModelFormatError(`YOLOv5 output batch is ${n}, but ${inputs.length} frames were sent`);
  const data = tensorToFloat32(out);
  const threshold = opts.scoreThreshold ?? config.thresholds.score;
  const result: NmsCandidate[][] = [];
  for (let b = 0; b < n; b++) {
    const candidates: NmsCandidate[] = [];
    for (let r = 0, o = b * rows * width; r < rows; r++, o += width) {
      const obj = data[o + 4]!;
      if (!(obj >= threshold)) continue; // score = obj * cls <= obj; also skips NaN
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < nc; c++) {
        const s = data[o + 5 + c]!;
        if (s > bestScore) {
          bestScore = s;
          best = c;
        }
      }
      const score = obj * bestScore;
      if (!(score >= threshold)) continue;
      const cx = data[o]!, cy = data[o + 1]!, hw = data[o + 2]! / 2, hh = data[o + 3]! / 2;
      candidates.push({ box: [cx - hw, cy - hh, cx + hw, cy + hh], score, classId: best });
    }
    result.push(suppress(candidates, config, opts));
  }
  return result;
}

/** Caps candidates and runs NMS in input space. */
export function suppress(candidates: NmsCandidate[], config: Pick<ModelConfig, 'thresholds'>, opts: DecodeOptions): NmsCandidate[] {
  const maxCandidates = opts.maxCandidates ?? 30_000;
  if (candidates.length > maxCandidates) {
    candidates.sort((a, b) => b.score - a.score);
    candidates.length = maxCandidates;
  }
  return nms(candidates, { iouThreshold: opts.iouThreshold ?? config.thresholds.iou, agnostic: opts.agnostic, maxDetections: opts.maxDetections });
}
