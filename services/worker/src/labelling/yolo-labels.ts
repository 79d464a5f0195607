import type { Detection } from '@riverwatch/common';

/** YOLO label lines: `class cx cy w h`, normalised to the frame size. */
export function toYoloLabels(detections: Pick<Detection, 'classId' | 'box'>[], width: number, height: number): string {
  return detections
    .map(({ classId, box: [x1, y1, x2, y2] }) => {
      const f = (v: number) => Math.min(1, Math.max(0, v)).toFixed(6);
      return `${classId} ${f((x1 + x2) / 2 / width)} ${f((y1 + y2) / 2 / height)} ${f((x2 - x1) / width)} ${f((y2 - y1) / height)}`;
    })
    .join('\n');
}
