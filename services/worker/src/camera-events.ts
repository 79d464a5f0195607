import type { CameraEventJob, Logger } from '@riverwatch/common';
import type { AlertService } from './alerts/alert-service.ts';

/** Ingest reports cameras going offline and coming back; they become camera_offline alerts. */
export async function handleCameraEvent(event: CameraEventJob, alerts: AlertService, logger: Logger): Promise<void> {
  if (event.type === 'camera_offline') {
    await alerts.open('camera_offline', {
      cameraId: event.cameraId,
      frameId: `offline-${event.at}`,
      at: event.at,
      classes: {},
      coverage: 0,
      trackIds: [],
      rawFrame: null,
      annotate: null,
    });
  } else {
    await alerts.resolve('camera_offline', event.cameraId, event.at);
  }
  logger.info({ cameraId: event.cameraId, type: event.type, reason: event.reason }, 'camera event handled');
}
