import type { Readable } from 'node:stream';
import type { EvidenceStore } from '@riverwatch/common';

/** Alert snapshots in the S3 snapshots bucket (keys come from alert records, never from requests). */
export class SnapshotRepository {
  constructor(private readonly store: EvidenceStore) {}

  async open(key: string): Promise<{ stream: Readable; size: number; contentType: string } | null> {
    try {
      const stat = await this.store.client.statObject(this.store.bucket('snapshots'), key);
      const stream = await this.store.client.getObject(this.store.bucket('snapshots'), key);
      return { stream, size: stat.size, contentType: String(stat.metaData?.['content-type'] ?? 'image/jpeg') };
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFound' || (err as { code?: string }).code === 'NoSuchKey') return null;
      throw err;
    }
  }

  presignedUrl(key: string, expirySeconds = 300): Promise<string> {
    return this.store.presignedGet('snapshots', key, expirySeconds);
  }
}
