import type { Detection, ModelConfig } from '@riverwatch/common';
import { ModelFormatError } from '../errors.ts';
import type { FrameTransform } from '../preprocess/frame-transform.ts';
import type { InferTensor } from '../tensor/infer-tensor.ts';
import type { DecodeOptions } from './decode-options.ts';
import { DETECTIONS_OUTPUT, readServerDetections } from './server-detections.ts';
import { decodeSsd } from './ssd.ts';
import { decodeSsdNms, type BoxFormat } from './ssd-nms.ts';
import { decodeYolov5 } from './yolov5.ts';

/**
 * A detector's outputs for a batch to detections per frame, in frame pixels, by the model's
 * format; or, when the server decoded them already (a `detections` output), its rows.
 */
export function decodeDetections(outputs: readonly InferTensor[], config: Pick<ModelConfig, 'format' | 'classes' | 'thresholds'> & { boxFormat?: BoxFormat }, transforms: readonly FrameTransform[], opts: DecodeOptions = {}): Detection[][] {
  const served = outputs.find((o) => o.name === DETECTIONS_OUTPUT);
  if (served) return readServerDetections(served, config.classes, transforms, opts);
  switch (config.format) {
    case 'yolov5':
      return decodeYolov5(outputs, config, transforms, opts);
    case 'ssd':
      return decodeSsd(outputs, config, transforms, opts);
    case 'ssd-nms':
      return decodeSsdNms(outputs, config, transforms, opts);
    default:
      throw new ModelFormatError(`format ${config.format} is not a detector format (yolov5, ssd, ssd-nms)`);
  }
}
