import { DEFAULT_ALERT_RULES, InvalidInputError } from '@riverwatch/common';
import { boxWaterOverlap } from '../mask/water-overlap.ts';
import type { WaterMask } from '../mask/water-mask.ts';
import { matchImageDetections, type GroundTruthImage } from './detection-eval.ts';
import type { ImagePredictions } from './predictions.ts';

/** Where the water masks came from: the dataset's masks/, the water segmenter run on the images, or nowhere. */
export type WaterSource = 'dataset-masks' | 'segmenter' | 'none';

/**
 * Where a detector's mistakes and hits lie relative to the water, judged by the
 * worker's rule (services/worker debris-filter): a detection counts only when at
 * least minWaterOverlap of its box is water. "Off water" means the worker drops it.
 */
export interface WaterPlacementReport {
  /** Detections at or above the score threshold that match no labelled object (what precision counts as wrong). */
  falsePositives: { total: number; onWater: number; offWater: number; unknown: number; waterSource: WaterSource };
  /** Detections that found a labelled object but that the water rule drops: the filter's cost. */
  truePositivesOffWater: number;
  /** Precision over the detections the worker keeps (images without a mask keep all, as the worker does); null without any mask. */
  keptByWaterMask: { precision: number; detections: number; truePositives: number } | null;
  minWaterOverlap: number;
}

export interface WaterPlacementOptions {
  agnostic?: boolean;
  /** The precision/recall threshold of the evaluation this report goes with. */
  scoreThreshold: number;
  /** Default: the cameras' default rules.minWaterOverlap. */
  minWaterOverlap?: number;
}

/** The water of each image of a dataset. */
export interface WaterMasks<I> {
  source: WaterSource;
  /** The image's water mask at image size, or null when it has none. */
  maskFor(image: I): Promise<WaterMask | null>;
}

/**
 * Counts the detections at the score threshold on and off the water, image by
 * image (masks are loaded one at a time: a 1080p set does not fit in memory at once).
 */
export async function evaluateWaterPlacement<I extends GroundTruthImage>(
  images: readonly I[],
  predictions: ReadonlyMap<string, ImagePredictions['detections']>,
  names: readonly string[],
  water: WaterMasks<I>,
  opts: WaterPlacementOptions,
): Promise<WaterPlacementReport> {
  const agnostic = opts.agnostic ?? false;
  const minWaterOverlap = opts.minWaterOverlap ?? DEFAULT_ALERT_RULES.minWaterOverlap;
  if (!(minWaterOverlap >= 0 && minWaterOverlap <= 1)) throw new InvalidInputError(`minWaterOverlap must be between 0 and 1, got ${minWaterOverlap}`);
  const fp = { total: 0, onWater: 0, offWater: 0, unknown: 0 };
  let tpOffWater = 0;
  let kept = 0;
  let keptTp = 0;
  let masked = 0;
  for (const img of images) {
    const mask = await water.maskFor(img);
    if (mask) masked++;
    const matches = matchImageDetections(img.objects, predictions.get(img.id) ?? [], { classes: agnostic ? 1 : names.length, agnostic, scoreThreshold: opts.scoreThreshold });
    for (const { ranked, tp } of matches) {
      ranked.forEach((d, di) => {
        if (d.score < opts.scoreThreshold) return;
        const matched = tp[0]![di] === 1;
        // Without a mask the worker treats the whole frame as water and keeps the detection.
        const onWater = mask ? boxWaterOverlap(mask, d.box) >= minWaterOverlap : null;
        if (!matched) {
          fp.total++;
          if (onWater === null) fp.unknown++;
          else if (onWater) fp.onWater++;
          else fp.offWater++;
        } else if (onWater === false) tpOffWater++;
        if (onWater !== false) {
          kept++;
          keptTp += matched ? 1 : 0;
        }
      });
    }
  }
  return {
    falsePositives: { ...fp, waterSource: water.source },
    truePositivesOffWater: tpOffWater,
    keptByWaterMask: masked ? { precision: Math.round((kept ? keptTp / kept : 0) * 1e6) / 1e6, detections: kept, truePositives: keptTp } : null,
    minWaterOverlap,
  };
}
