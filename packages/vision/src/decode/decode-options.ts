export interface DecodeOptions {
  /** Overrides the model config's thresholds.score. */
  scoreThreshold?: number;
  /** Overrides the model config's thresholds.iou. */
  iouThreshold?: number;
  /** Class-agnostic NMS. */
  agnostic?: boolean;
  /** Per image, after NMS (default 300, YOLOv5's). */
  maxDetections?: number;
  /** Candidates kept before NMS, highest score first (default 30000, YOLOv5's max_nms). */
  maxCandidates?: number;
  /** SSD: candidates kept per class before NMS (default 400, torchvision's topk_candidates). */
  maxCandidatesPerClass?: number;
}
