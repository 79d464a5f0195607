import type { Detection } from '@riverwatch/common';

/** The predictions file the training kit's evaluate.py reads (boxes in image pixels). */
export interface PredictionsFile {
  images: { id: string; width: number; height: number; detections: { class: number; score: number; box: [number, number, number, number] }[] }[];
}

export interface ImagePredictions {
  id: string;
  width: number;
  height: number;
  detections: Pick<Detection, 'classId' | 'score' | 'box'>[];
}

export function toPredictionsFile(images: readonly ImagePredictions[]): PredictionsFile {
  return {
    images: images.map((im) => ({ id: im.id, width: im.width, height: im.height, detections: im.detections.map((d) => ({ class: d.classId, score: d.score, box: [...d.box] as [number, number, number, number] })) })),
  };
}

export function fromPredictionsFile(file: PredictionsFile): Map<string, ImagePredictions['detections']> {
  return new Map(file.images.map((im) => [String(im.id), im.detections.map((d) => ({ classId: d.class, score: d.score, box: d.box }))]));
}
