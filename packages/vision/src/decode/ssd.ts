import type { Detection, ModelConfig } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import { tensorToFloat32, type InferTensor } from '../tensor/infer-tensor.ts';
import { toDetections, type InputSize } from './candidates.ts';
import type { DecodeOptions } from './decode-options.ts';
import type { NmsCandidate } from './nms.ts';
import { pickOutput, withBatch } from './outputs.ts';
import { suppress } from './yolov5.ts';

/**
 * SSD exports with box decoding in the graph and no NMS: boxes [N, A, 4]
 * normalised x1y1x2y2 of the model input, scores [N, A, 1 + C] (softmax,
 * column 0 = background). Every class above the threshold is a candidate
 * (as torchvision's SSD post-processing does; at most maxCandidatesPerClass
 * per class), then class-aware NMS.
 */
export function decodeSsd(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'classes' | 'thresholds'>, transforms: readonly FrameTransform[], opts: DecodeOptions = {}): Detection[][] {
  return ssdCandidates(outputs, config, transforms, opts).map((kept, b) => toDetections(kept, config.classes, transforms[b]!));
}

/** decodeSsd up to NMS: the kept boxes of each batch item, in model-input pixels. */
export function ssdCandidates(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'classes' | 'thresholds'>, inputs: readonly InputSize[], opts: DecodeOptions = {}): NmsCandidate[][] {
  const boxesT = pickOutput(outputs, ['boxes'], 'SSD boxes', (t) => t.shape.at(-1) === 4);
  const scoresT = pickOutput(outputs, ['scores'], 'SSD scores', (t) => t !== boxesT && t.shape.length >= 2);
  const [n, anchors, four] = withBatch(boxesT, 3, '[batch, anchors, 4]') as [number, number, number];
  const [sn, sa, cols] = withBatch(scoresT, 3, '[batch, anchors, 1 + classes]') as [number, number, number];
  const nc = config.classes.length;
  if (four !== 4) throw new ModelFormatError(`SSD boxes ${boxesT.name} has shape [${boxesT.shape.join(',')}], expected [batch, anchors, 4]`);
  if (sn !== n || sa !== anchors) throw new ModelFormatError(`SSD scores [${scoresT.shape.join(',')}] do not match boxes [${boxesT.shape.join(',')}]`);
  if (cols !== nc + 1) {
    throw new ModelFormatError(`SSD scores ${scoresT.name} have ${cols} columns, expected background + ${nc} classes = ${nc + 1}`);
  }
  if (inputs.length !== n) throw new ModelFormatError(`SSD output batch is ${n}, but ${inputs.length} frames were sent`);
  const boxes = tensorToFloat32(boxesT);
  const scores = tensorToFloat32(scoresT);
  const threshold = opts.scoreThreshold ?? config.thresholds.score;
  const perClass = opts.maxCandidatesPerClass ?? 400;
  const result: NmsCandidate[][] = [];
  for (let b = 0; b < n; b++) {
    const t = inputs[b]!;
    const candidates: NmsCandidate[] = [];
    for (let c = 1; c < cols; c++) {
      // Anchors above the threshold for this class, best `perClass` of them: at low thresholds
      // every anchor qualifies and NMS over all of them would dominate the frame's time.
      let picked: number[] = [];
      for (let a = 0; a < anchors; a++) if (scores[(b * anchors + a) * cols + c]! >= threshold) picked.push(a);
      if (picked.length > perClass) {
        picked.sort((x, y) => scores[(b * anchors + y) * cols + c]! - scores[(b * anchors + x) * cols + c]! || x - y);
        picked = picked.slice(0, perClass);
      }
      for (const a of picked) {
        const bo = (b * anchors + a) * 4;
        const box = [boxes[bo]! * t.inputWidth, boxes[bo + 1]! * t.inputHeight, boxes[bo + 2]! * t.inputWidth, boxes[bo + 3]! * t.inputHeight];
        candidates.push({ box, score: scores[(b * anchors + a) * cols + c]!, classId: c - 1 });
      }
    }
    result.push(suppress(candidates, config, opts));
  }
  return result;
}
