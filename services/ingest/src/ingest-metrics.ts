import { counter, gauge } from '@riverwatch/common';

/** Prometheus metrics of the ingest service, labelled by camera id. */
export class IngestMetrics {
  readonly framesIn = counter({ name: 'riverwatch_ingest_frames_in_total', help: 'Frames decoded from cameras', labelNames: ['camera'] });
  readonly framesOut = counter({ name: 'riverwatch_ingest_frames_out_total', help: 'Frames queued for the worker', labelNames: ['camera'] });
  readonly drops = counter({ name: 'riverwatch_ingest_frames_dropped_total', help: 'Frames dropped by backpressure (latest wins)', labelNames: ['camera'] });
  readonly reconnects = counter({ name: 'riverwatch_ingest_reconnects_total', help: 'ffmpeg restarts after a failure or a stall', labelNames: ['camera'] });
  readonly stalls = counter({ name: 'riverwatch_ingest_stalls_total', help: 'Streams restarted by the stall watchdog', labelNames: ['camera'] });
  readonly corrupt = counter({ name: 'riverwatch_ingest_corrupt_total', help: 'Corrupt or truncated frames and decoder errors', labelNames: ['camera'] });
  readonly online = gauge({ name: 'riverwatch_ingest_camera_online', help: '1 while the camera delivers frames', labelNames: ['camera'] });
  readonly held = gauge({ name: 'riverwatch_ingest_cameras_held', help: 'Cameras this replica holds a lease for', labelNames: ['replica'] });

  /** A camera left this replica: its series go, so /metrics does not grow forever. */
  forget(cameraId: string): void {
    for (const m of [this.framesIn, this.framesOut, this.drops, this.reconnects, this.stalls, this.corrupt, this.online]) {
      m.remove({ camera: cameraId });
    }
  }
}
