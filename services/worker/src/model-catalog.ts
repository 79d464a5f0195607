import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'minio';
import type { ModelConfig } from '@riverwatch/common';

/**
 * The worker needs each model's config.json (input size, normalisation, output
 * format, classes) for pre- and post-processing; the weights stay with the
 * inference service. Re-read when the file changes.
 */
export class ModelCatalog {
  private readonly cache = new Map<string, { version: string; config: ModelConfig }>();

  /** `repository` is a directory, or `s3://bucket/prefix` read through `s3`. */
  constructor(
    private readonly repository: string,
    private readonly s3?: Client,
  ) {}

  async get(name: string): Promise<ModelConfig> {
    if (!/^[a-zA-Z0-9_.-]+$/.test(name)) throw new Error(`invalid model name "${name}"`);
    const source = this.repository.startsWith('s3://') ? await this.fromS3(name) : await this.fromDisk(name);
    const hit = this.cache.get(name);
    if (hit && hit.version === source.version) return hit.config;
    const config = JSON.parse(await source.read()) as ModelConfig;
    this.cache.set(name, { version: source.version, config });
    return config;
  }

  private async fromDisk(name: string): Promise<{ version: string; read(): Promise<string> }> {
    const file = join(this.repository, name, 'config.json');
    const { mtimeMs } = await stat(file);
    return { version: String(mtimeMs), read: () => readFile(file, 'utf8') };
  }

  private async fromS3(name: string): Promise<{ version: string; read(): Promise<string> }> {
    if (!this.s3) throw new Error('an s3:// model repository needs S3 (S3_ENDPOINT)');
    const url = new URL(this.repository);
    const key = [url.pathname.replace(/^\/+|\/+$/g, ''), name, 'config.json'].filter(Boolean).join('/');
    const { etag } = await this.s3.statObject(url.hostname, key);
    const client = this.s3;
    return {
      version: etag,
      async read() {
        const chunks: Buffer[] = [];
        for await (const chunk of await client.getObject(url.hostname, key)) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
    };
  }

  async has(name: string): Promise<boolean> {
    try {
      await this.get(name);
      return true;
    } catch {
      return false;
    }
  }
}
