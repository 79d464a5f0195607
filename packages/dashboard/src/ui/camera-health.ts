import type { CameraStatus } from '../api/types.ts';

export type CameraHealth = 'online' | 'offline' | 'stalled' | 'connecting' | 'stopped' | 'unknown';

/**
 * Ingest reports online/offline; "stalled" is ours: online, but no frame for several sampling
 * intervals (ingest restarts such a stream itself, and the operator should see it meanwhile).
 */
export function cameraHealth(status: CameraStatus | null, fps: number, now = Date.now()): CameraHealth {
  if (!status) return 'unknown';
  if (status.state === 'online') {
    const quietMs = Math.max(10_000, 5_000 / Math.max(fps, 0.01));
    return status.lastFrameAt !== null && now - status.lastFrameAt > quietMs ? 'stalled' : 'online';
  }
  if (status.state === 'offline' || status.state === 'connecting' || status.state === 'stopped') return status.state;
  return 'unknown';
}
