import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Logger } from '@riverwatch/common';
import type { Client } from 'minio';

export interface S3Location {
  bucket: string;
  prefix: string;
}

/**
 * `MODEL_REPOSITORY=s3://bucket/prefix` (also read in the `<dir>/s3:/bucket/prefix`
 * form a path resolver makes of it).
 */
export function parseS3Repository(repository: string): S3Location | undefined {
  const m = /(?:^|\/)s3:\/\/?([a-z0-9][a-z0-9.-]{1,62})(?:\/(.*))?$/.exec(repository);
  if (!m) return undefined;
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1], prefix: prefix ? `${prefix}/` : '' };
}

/** Only the files the repository layout defines are mirrored; nothing else under the prefix. */
const REPOSITORY_FILE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\/(config\.json|[1-9]\d{0,8}\/model\.onnx)$/;

/**
 * Mirrors a Triton-layout repository under an S3 prefix into a local directory,
 * which the directory repository then serves (and polls) as usual. A changed
 * object is downloaded beside its target and renamed over it, so the poller
 * never reads half a file.
 */
export class S3RepositorySync {
  /** relative path -> etag of what is on disk. */
  private readonly mirrored = new Map<string, string>();

  constructor(
    private readonly client: Client,
    private readonly location: S3Location,
    readonly localDir: string,
    private readonly logger: Logger,
  ) {}

  async sync(): Promise<void> {
    const remote = new Map<string, string>();
    const stream = this.client.listObjectsV2(this.location.bucket, this.location.prefix, true);
    for await (const item of stream as AsyncIterable<{ name?: string; etag?: string }>) {
      if (!item.name) continue;
      const rel = item.name.slice(this.location.prefix.length);
      if (REPOSITORY_FILE.test(rel)) remote.set(rel, item.etag ?? '');
    }
    for (const [rel, etag] of remote) {
      if (this.mirrored.get(rel) === etag) continue;
      const target = join(this.localDir, rel);
      const part = `${target}.download`;
      await mkdir(dirname(target), { recursive: true });
      await this.client.fGetObject(this.location.bucket, this.location.prefix + rel, part);
      await rename(part, target);
      this.mirrored.set(rel, etag);
      this.logger.info({ object: this.location.prefix + rel }, 'model file fetched from S3');
    }
    for (const rel of [...this.mirrored.keys()]) {
      if (remote.has(rel)) continue;
      await rm(join(this.localDir, rel), { force: true });
      this.mirrored.delete(rel);
      await this.pruneEmptyDirs(dirname(join(this.localDir, rel)));
    }
  }

  /** A model whose files are all gone must vanish as a directory too, or it would look half-present. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    while (relative(this.localDir, dir) && !relative(this.localDir, dir).startsWith('..')) {
      if ((await readdir(dir).catch(() => ['?'])).length) return;
      await rmdir(dir).catch(() => {});
      dir = dirname(dir);
    }
  }
}
