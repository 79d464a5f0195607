import { ALERT_TYPES, EvidenceKeys, type CameraEventJob, type EvidenceStore, type Logger } from '@riverwatch/common';
import type { AlertService } from './alerts/alert-service.ts';
import type { CameraStore } from './repositories/camera-store.ts';

/**
 * Ingest reports cameras going offline and coming back: they become camera_offline alerts.
 * The API reports a camera deleted: under the camera's lock (so no frame of it commits in
 * between) its open alerts resolve and its live state and water-mask history go; its alerts
 * (records and snapshots) stay until retention.
 */
export async function handleCameraEvent(event: CameraEventJob, alerts: AlertService, cameras: CameraStore, store: EvidenceStore, logger: Logger): Promise<void> {
  if (event.type === 'camera_deleted') {
    await cameras.withLock(event.cameraId, async () => {
      for (const type of ALERT_TYPES) await alerts.resolve(type, event.cameraId, event.at);
      await cameras.forget(event.cameraId);
    });
    // Retention keeps each camera's newest mask; a deleted camera keeps none.
    await store.removePrefix('masks', EvidenceKeys.maskFolder(event.cameraId));
  } else if (event.type === 'camera_offline') {
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
