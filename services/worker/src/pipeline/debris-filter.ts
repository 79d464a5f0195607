import type { AlertRules, CameraConfig, Detection } from '@riverwatch/common';
import { boxInZones, boxWaterOverlap, waterShare, type WaterMask } from '@riverwatch/vision';

export interface FilteredDetections {
  kept: Detection[];
  /** Counted but not alerted on: below the score, off the water or outside the zones. */
  ignored: number;
  /** Share of the water surface covered by kept debris boxes (0..1). */
  coverage: number;
  waterShare: number | null;
}

export function minScoreFor(rules: AlertRules, className: string): number {
  return rules.minScoreByClass?.[className] ?? rules.minScore;
}

/**
 * The water mask is the zone: a detection counts only where its box lies on
 * water by at least the configured share, and inside the camera's zones.
 */
export function filterDebris(
  detections: Detection[],
  mask: WaterMask | null,
  camera: Pick<CameraConfig, 'rules' | 'zones'>,
  frame: { width: number; height: number },
): FilteredDetections {
  const kept: Detection[] = [];
  let coveredPixels = 0;
  for (const d of detections) {
    if (d.score < minScoreFor(camera.rules, d.className)) continue;
    if (!boxInZones(d.box, camera.zones.include, camera.zones.exclude)) continue;
    const onWater = mask ? boxWaterOverlap(mask, d.box) : 1;
    if (onWater < camera.rules.minWaterOverlap) continue;
    kept.push({ ...d, onWater });
    coveredPixels += (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) * onWater;
  }
  const share = mask ? waterShare(mask) : null;
  // Without a mask the whole frame is treated as water.
  const waterPixels = mask ? share! * mask.width * mask.height : frame.width * frame.height;
  const coverage = waterPixels > 0 ? Math.min(1, coveredPixels / waterPixels) : 0;
  return { kept, ignored: detections.length - kept.length, coverage, waterShare: share };
}
