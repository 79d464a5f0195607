import { Client } from 'minio';
import { DependencyUnavailableError } from './errors.ts';
import type { RiverwatchConfig } from './config.ts';

export type BucketKind = 'snapshots' | 'masks' | 'review' | 'models';

/**
 * Object keys of the evidence buckets, built (and read back) only here, from ids the services
 * generated, never from user-supplied strings.
 */
export const EvidenceKeys = {
  /** snapshots: everything an alert ever stored (each snapshot and its raw frame). */
  alertFolder: (cameraId: string, alertId: string) => `${cameraId}/${alertId}/`,
  /** masks: one camera's history of water masks. */
  maskFolder: (cameraId: string) => `${cameraId}/`,
  mask: (cameraId: string, capturedAt: number) => `${cameraId}/${capturedAt}.png`,
  /** Capture time of a mask key; NaN for an object riverwatch did not write. */
  maskCapturedAt(key: string): number {
    const m = /\/(\d+)\.png$/.exec(key);
    return m ? Number(m[1]) : NaN;
  },
};

/** S3 (MinIO in production, an embedded server on one machine) behind one small interface. */
export class EvidenceStore {
  constructor(
    readonly client: Client,
    readonly bucketPrefix: string,
  ) {}

  static fromConfig(s3: RiverwatchConfig['s3'], endpoint: string): EvidenceStore {
    const url = new URL(endpoint);
    const client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      useSSL: url.protocol === 'https:',
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: s3.region,
      pathStyle: true,
    });
    return new EvidenceStore(client, s3.bucketPrefix);
  }

  bucket(kind: BucketKind): string {
    return `${this.bucketPrefix}-${kind}`;
  }

  async ensureBuckets(kinds: BucketKind[] = ['snapshots', 'masks', 'review']): Promise<void> {
    for (const kind of kinds) {
      const name = this.bucket(kind);
      try {
        if (!(await this.client.bucketExists(name))) await this.client.makeBucket(name);
      } catch (err) {
        const e = err as { code?: string; message: string };
        if (e.code === 'BucketAlreadyOwnedByYou' || e.code === 'BucketAlreadyExists') continue;
        throw new DependencyUnavailableError(`S3 bucket ${name} unavailable (S3_ENDPOINT): ${e.message}`);
      }
    }
  }

  async put(kind: BucketKind, key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.putObject(this.bucket(kind), key, body, body.length, { 'Content-Type': contentType });
  }

  async get(kind: BucketKind, key: string): Promise<Buffer> {
    const stream = await this.client.getObject(this.bucket(kind), key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async exists(kind: BucketKind, key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket(kind), key);
      return true;
    } catch {
      return false;
    }
  }

  /** Keys under `prefix`, in S3's (lexical) order; none when the bucket does not exist yet. */
  async list(kind: BucketKind, prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const item of this.client.listObjectsV2(this.bucket(kind), prefix, true)) if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
    } catch (err) {
      if ((err as { code?: string }).code !== 'NoSuchBucket') throw err;
    }
    return keys;
  }

  async remove(kind: BucketKind, key: string): Promise<void> {
    await this.client.removeObject(this.bucket(kind), key);
  }

  /** Removes every object under `prefix` ('' = the whole bucket); how many there were. */
  async removePrefix(kind: BucketKind, prefix: string): Promise<number> {
    const keys = await this.list(kind, prefix);
    // One DELETE per object: the embedded server does not implement multi-object delete.
    for (const key of keys) await this.remove(kind, key);
    return keys.length;
  }

  /** Top-level "folders" of a bucket: the first path segment of its keys, with the trailing '/'. */
  async prefixes(kind: BucketKind): Promise<string[]> {
    const prefixes: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket(kind), '', false)) {
      const prefix = (item as { prefix?: string }).prefix;
      if (prefix) prefixes.push(prefix);
    }
    return prefixes;
  }

  presignedGet(kind: BucketKind, key: string, expirySeconds = 900): Promise<string> {
    return this.client.presignedGetObject(this.bucket(kind), key, expirySeconds);
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.bucketExists(this.bucket('snapshots'));
      return true;
    } catch {
      return false;
    }
  }

  /** Removes the buckets and everything in them (tests). */
  async destroy(kinds: BucketKind[] = ['snapshots', 'masks', 'review']): Promise<void> {
    for (const kind of kinds) {
      const name = this.bucket(kind);
      if (!(await this.client.bucketExists(name).catch(() => false))) continue;
      await this.removePrefix(kind, '');
      await this.client.removeBucket(name);
    }
  }
}
