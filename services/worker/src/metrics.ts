import { counter, gauge, histogram } from '@riverwatch/common';

export const framesProcessed = counter({
  name: 'riverwatch_worker_frames_total',
  help: 'Frames by outcome: ok, duplicate, expired, corrupt, camera_deleted, failed (out of tries for any other error)',
  labelNames: ['outcome'] as const,
});

/** Set by the running worker service: how to count the frames queue's jobs at scrape time. */
let countFrameJobs: (() => Promise<Record<string, number>>) | undefined;
export function countQueueJobsWith(fn: typeof countFrameJobs): void {
  countFrameJobs = fn;
}
export const queueJobs = gauge({
  name: 'riverwatch_worker_queue_jobs',
  help: 'Frame jobs in the queue by state, read at scrape time (every worker replica reports the same queue: aggregate with max)',
  labelNames: ['state'] as const,
  async collect() {
    if (!countFrameJobs) return;
    const counts = await countFrameJobs().catch(() => undefined);
    for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
  },
});
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
