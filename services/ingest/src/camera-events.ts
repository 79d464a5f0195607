import type { Queue } from 'bullmq';
import { cameraEventJobOptions, type CameraEventJob, type EventPublisher } from '@riverwatch/common';

/**
 * camera_offline / camera_recovered go two ways: a live event (SSE and
 * webhooks) and a job the worker turns into (or resolves) the camera_offline alert.
 */
export class CameraEvents {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly cameraEvents: Queue<CameraEventJob>,
  ) {}

  async emit(type: 'camera_offline' | 'camera_recovered', cameraId: string, data: Record<string, unknown>): Promise<void> {
    const reason = typeof data.reason === 'string' ? data.reason : undefined;
    const event = await this.publisher.publish({
      type: type === 'camera_offline' ? 'camera.offline' : 'camera.recovered',
      cameraId,
      data,
    });
    await this.cameraEvents.add(
      type,
      { type, cameraId, at: event.at, ...(reason ? { reason } : {}) },
      cameraEventJobOptions(event.id),
    );
  }
}
