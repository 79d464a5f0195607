import type { Detection, ModelConfig } from '@riverwatch/common';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import type { InferTensor } from '../tensor/infer-tensor.ts';
import { toDetections } from './candidates.ts';
import type { DecodeOptions } from './decode-options.ts';
import { DETECTIONS_OUTPUT, detectorCandidates, readServerDetections } from './server-detections.ts';
import type { BoxFormat } from './ssd-nms.ts';

/**
 * A detector's outputs for a batch to detections per frame, in frame pixels, by the model's
 * format; or, when the server decoded them already (a `detections` output), its rows.
 * Either way the kept boxes are mapped to the frame by toDetections.
 */
export function decodeDetections(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'format' | 'classes' | 'thresholds'> & { boxFormat?: BoxFormat }, transforms: readonly FrameTransform[], opts: DecodeOptions = {}): Detection[][] {
  const served = outputs.find((o) => o.name === DETECTIONS_OUTPUT);
  if (served) return readServerDetections(served, config.classes, transforms, opts);
  return detectorCandidates(outputs, config, transforms, opts).map((kept, b) => toDetections(kept, config.classes, transforms[b]!));
}
