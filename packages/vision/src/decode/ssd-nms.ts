import type { Detection, ModelConfig } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import { tensorToFloat32, type InferTensor } from '../tensor/infer-tensor.ts';
import { toDetections, type InputSize } from './candidates.ts';
import type { DecodeOptions } from './decode-options.ts';
import { nms, type NmsCandidate } from './nms.ts';
import { pickOutput, withBatch } from './outputs.ts';

/** Corner order of post-NMS boxes; TensorFlow's Object Detection API writes y first. */
export type BoxFormat = 'x1y1x2y2' | 'y1x1y2x2';

/**
 * SSD exports with NMS in the graph: boxes [N, K, 4] x1y1x2y2, labels [N, K],
 * scores [N, K] and optionally num_detections [N]. Boxes are read as normalised
 * when every coordinate is within [0, 1], else as input pixels. Labels index
 * config.classes; a label naming "background" (or out of range) is dropped, so
 * 1-based exports put "background" first in their class list. A config's
 * optional `boxFormat: "y1x1y2x2"` reads TensorFlow-ordered boxes.
 */
export function decodeSsdNms(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'classes' | 'thresholds'> & { boxFormat?: BoxFormat }, transforms: readonly FrameTransform[], opts: DecodeOptions = {}): Detection[][] {
  return ssdNmsCandidates(outputs, config, transforms, opts).map((kept, b) => toDetections(kept, config.classes, transforms[b]!));
}

/** decodeSsdNms without the mapping to frame pixels: the kept boxes of each batch item, in model-input pixels. */
export function ssdNmsCandidates(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'classes' | 'thresholds'> & { boxFormat?: BoxFormat }, inputs: readonly InputSize[], opts: DecodeOptions = {}): NmsCandidate[][] {
  const boxesT = pickOutput(outputs, ['boxes', 'detection_boxes'], 'boxes');
  const scoresT = pickOutput(outputs, ['scores', 'detection_scores'], 'scores');
  const labelsT = pickOutput(outputs, ['labels', 'classes', 'detection_classes'], 'labels');
  const numT = outputs.find((o) => o.name === 'num_detections' || o.name === 'num_dets');
  const [n, k, four] = withBatch(boxesT, 3, '[batch, K, 4]') as [number, number, number];
  if (four !== 4) throw new ModelFormatError(`boxes ${boxesT.name} has shape [${boxesT.shape.join(',')}], expected [batch, K, 4]`);
  const [sn, sk] = withBatch(scoresT, 2, '[batch, K]') as [number, number];
  const [ln, lk] = withBatch(labelsT, 2, '[batch, K]') as [number, number];
  if (sn !== n || ln !== n || sk !== k || lk !== k) {
    throw new ModelFormatError(`post-NMS outputs disagree: boxes [${boxesT.shape.join(',')}], scores [${scoresT.shape.join(',')}], labels [${labelsT.shape.join(',')}]`);
  }
  if (inputs.length !== n) throw new ModelFormatError(`output batch is ${n}, but ${inputs.length} frames were sent`);
  const boxes = tensorToFloat32(boxesT);
  const scores = tensorToFloat32(scoresT);
  const labels = tensorToFloat32(labelsT);
  const counts = numT ? tensorToFloat32(numT) : undefined;
  const threshold = opts.scoreThreshold ?? config.thresholds.score;
  const yFirst = config.boxFormat === 'y1x1y2x2';
  const result: NmsCandidate[][] = [];
  for (let b = 0; b < n; b++) {
    const t = inputs[b]!;
    const count = Math.min(k, counts ? Math.round(counts[b]!) : k);
    let normalised = true;
    for (let i = b * k * 4; i < (b * k + count) * 4; i++) if (boxes[i]! > 1.0001) normalised = false;
    const sx = normalised ? t.inputWidth : 1;
    const sy = normalised ? t.inputHeight : 1;
    const candidates: NmsCandidate[] = [];
    for (let i = 0; i < count; i++) {
      const score = scores[b * k + i]!;
      const classId = Math.round(labels[b * k + i]!);
      const name = config.classes[classId];
      if (!(score >= threshold) || name === undefined || name === 'background') continue;
      const o = (b * k + i) * 4;
      const [x1, y1, x2, y2] = yFirst ? [boxes[o + 1]!, boxes[o]!, boxes[o + 3]!, boxes[o + 2]!] : [boxes[o]!, boxes[o + 1]!, boxes[o + 2]!, boxes[o + 3]!];
      candidates.push({ box: [x1 * sx, y1 * sy, x2 * sx, y2 * sy], score, classId });
    }
    // The graph already ran NMS; agnostic suppression across classes is the only extra step.
    const kept = opts.agnostic ? nms(candidates, { iouThreshold: opts.iouThreshold ?? config.thresholds.iou, agnostic: true, maxDetections: opts.maxDetections }) : candidates.sort((a, c) => c.score - a.score).slice(0, opts.maxDetections ?? 300);
    result.push(kept);
  }
  return result;
}
