import type { FrameJob } from '@riverwatch/common';

export interface PublishOutcome {
  /** Set when the frame was queued. */
  frameId: string | null;
  /** Frames dropped by this call: an older waiting frame replaced, or this frame itself. */
  dropped: number;
}

/**
 * Where a camera puller sends its frames: FramePublisher (one job per frame) or
 * FrameBatcher (the frames of all cameras gathered over a short window, one job per batch).
 * The promise settles once the frame is queued or dropped, or rejects when queueing failed.
 */
export interface FrameSink {
  publish(frame: Omit<FrameJob, 'frameId' | 'source'>, jpeg: Buffer): Promise<PublishOutcome>;
}
