import { EvidenceKeys, type EvidenceStore } from '@riverwatch/common';

/**
 * Evidence in S3. Object keys come only from ids (camera, alert, frame), never
 * from user-supplied strings.
 */
export class EvidenceRepository {
  constructor(private readonly store: EvidenceStore) {}

  async saveAlertSnapshot(cameraId: string, alertId: string, frameId: string, annotatedJpeg: Buffer, rawFrame: Buffer): Promise<{ snapshotKey: string; frameKey: string }> {
    const base = `${EvidenceKeys.alertFolder(cameraId, alertId)}${frameId}`;
    const frameKey = `${base}-raw.jpg`;
    const snapshotKey = `${base}.jpg`;
    // Raw frame first: the record only ever points at objects that exist.
    await this.store.put('snapshots', frameKey, rawFrame, 'image/jpeg');
    await this.store.put('snapshots', snapshotKey, annotatedJpeg, 'image/jpeg');
    return { snapshotKey, frameKey };
  }

  async saveMask(cameraId: string, at: number, png: Buffer): Promise<string> {
    const key = EvidenceKeys.mask(cameraId, at);
    await this.store.put('masks', key, png, 'image/png');
    return key;
  }

  /** A frame for the labelling loop: image + YOLO labels + metadata. */
  async saveReviewFrame(cameraId: string, frameId: string, image: Buffer, yoloLabels: string, meta: Record<string, unknown>): Promise<string> {
    const base = `${cameraId}/${frameId}`;
    await this.store.put('review', `${base}.jpg`, image, 'image/jpeg');
    await this.store.put('review', `${base}.txt`, Buffer.from(yoloLabels), 'text/plain');
    await this.store.put('review', `${base}.json`, Buffer.from(JSON.stringify(meta)), 'application/json');
    return base;
  }

  readSnapshotObject(key: string): Promise<Buffer> {
    return this.store.get('snapshots', key);
  }

  readReview(key: string): Promise<Buffer> {
    return this.store.get('review', key);
  }
}
