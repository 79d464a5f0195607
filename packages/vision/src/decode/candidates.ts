import type { Detection } from '@riverwatch/common';
import { toFrameBox, type FrameTransform } from '../preprocess/frame-transform.ts';
import type { NmsCandidate } from './nms.ts';

/** What a decoder needs of a batch item before mapping to the frame: the model input's size (normalised boxes are scaled by it). */
export type InputSize = Pick<FrameTransform, 'inputWidth' | 'inputHeight'>;

/**
 * Kept boxes (model-input pixels) to detections in frame pixels. Every decoder ends
 * here, and so does reading the server's `detections` output: both map the same
 * numbers the same way, so a server-side decode equals the worker's own.
 */
export function toDetections(kept: readonly NmsCandidate[], classes: readonly string[], transform: FrameTransform): Detection[] {
  return kept.map((c) => ({ classId: c.classId, className: classes[c.classId] ?? String(c.classId), score: c.score, box: toFrameBox(transform, c.box) }));
}
