/**
 * Every Redis key riverwatch writes is built here. Keys that one multi-key
 * operation touches share a hash tag ({camera id}) so the code runs on Redis Cluster.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** BullMQ's own prefix: one hash tag for all queues, as BullMQ recommends for Cluster. */
  get queuePrefix(): string {
    return `{${this.prefix}:q}`;
  }
  frame(frameId: string): string {
    return `${this.prefix}:frame:${frameId}`;
  }
  /** The JPEGs of one frame batch, end to end (FrameBatchJob). */
  frameBatch(batchId: string): string {
    return `${this.prefix}:batch:${batchId}`;
  }
  frameResult(frameId: string): string {
    return `${this.prefix}:result:${frameId}`;
  }
  camera(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:config`;
  }
  cameraIndex(): string {
    return `${this.prefix}:cameras`;
  }
  /** Bumped (INCR) on every camera saved or deleted: readers re-list the cameras only when it moved. */
  cameraIndexVersion(): string {
    return `${this.prefix}:cameras:version`;
  }
  cameraStatus(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:status`;
  }
  cameraLease(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:lease`;
  }
  cameraInFlight(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:inflight`;
  }
  frameSummaries(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:frames`;
  }
  waterMask(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:mask`;
  }
  /** The camera's newest committed frame (JPEG) and its detections, for the dashboard's live view. */
  liveFrame(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:live`;
  }
  tracker(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:tracker`;
  }
  /**
   * What happened to each frame ingest queued (a stream: queued, then dropped or failed with a
   * reason; a committed frame is its summary in the history stream), read by `riverwatch audit`.
   * Trimmed to the history's retention window.
   */
  frameLedger(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:ledger`;
  }
  /** Serialises the stateful part (tracker, rules) of one camera's frames across workers. */
  cameraLock(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:lock`;
  }
  /** Rejected alert ids waiting to be copied into the labelling set. */
  reviewRejected(): string {
    return `${this.prefix}:review:rejected`;
  }
  reviewThrottle(cameraId: string): string {
    return `${this.prefix}:cam:{${cameraId}}:review-throttle`;
  }
  /** Time index of saved review frames (score = capture time). */
  reviewIndex(): string {
    return `${this.prefix}:review:index`;
  }
  openAlert(cameraId: string, type: string): string {
    return `${this.prefix}:cam:{${cameraId}}:alert:${type}`;
  }
  alert(alertId: string): string {
    return `${this.prefix}:alert:${alertId}`;
  }
  alertIndex(): string {
    return `${this.prefix}:alerts`;
  }
  events(): string {
    return `${this.prefix}:events`;
  }
  eventChannel(): string {
    return `${this.prefix}:events:live`;
  }
  apiKey(hash: string): string {
    return `${this.prefix}:apikey:${hash}`;
  }
  apiKeyIndex(): string {
    return `${this.prefix}:apikeys`;
  }
  webhook(id: string): string {
    return `${this.prefix}:webhook:${id}`;
  }
  webhookIndex(): string {
    return `${this.prefix}:webhooks`;
  }
  webhookDeliveries(id: string): string {
    return `${this.prefix}:webhook:${id}:deliveries`;
  }
  webhookDeadLetters(): string {
    return `${this.prefix}:webhooks:dead`;
  }
  rateLimit(bucket: string): string {
    return `${this.prefix}:ratelimit:${bucket}`;
  }
  /** Taken by the worker replica that runs this period's retention sweep. */
  retentionLock(): string {
    return `${this.prefix}:retention:lock`;
  }
  ingestReplicas(): string {
    return `${this.prefix}:ingest:replicas`;
  }
}
