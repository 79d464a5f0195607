import { counter, histogram } from '@riverwatch/common';

export const framesProcessed = counter({ name: 'riverwatch_worker_frames_total', help: 'Frames processed by outcome', labelNames: ['outcome'] as const });
export const frameLatency = histogram({
  name: 'riverwatch_worker_frame_seconds',
  help: 'Time from job start to committed result, by step',
  labelNames: ['step'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});
export const detectionsCounted = counter({ name: 'riverwatch_worker_detections_total', help: 'Detections by class and fate', labelNames: ['class', 'fate'] as const });
export const alertsChanged = counter({ name: 'riverwatch_worker_alerts_total', help: 'Alert transitions', labelNames: ['type', 'change'] as const });
export const reviewFramesSaved = counter({ name: 'riverwatch_worker_review_frames_total', help: 'Frames saved for labelling', labelNames: ['reason'] as const });
export const retentionDeleted = counter({
  name: 'riverwatch_worker_retention_deleted_total',
  help: 'What the retention sweep deleted: alert records, their S3 evidence objects, old water masks',
  labelNames: ['kind'] as const,
});
export const retentionSweeps = counter({ name: 'riverwatch_worker_retention_sweeps_total', help: 'Retention sweeps run by this replica, by outcome', labelNames: ['outcome'] as const });
