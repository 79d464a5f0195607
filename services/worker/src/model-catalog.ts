import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelConfig } from '@riverwatch/common';

/**
 * The worker needs each model's config.json (input size, normalisation, output
 * format, classes) for pre- and post-processing; the weights stay with the
 * inference service. Re-read when the file changes.
 */
export class ModelCatalog {
  private readonly cache = new Map<string, { mtimeMs: number; config: ModelConfig }>();

  constructor(private readonly repository: string) {}

  async get(name: string): Promise<ModelConfig> {
    if (!/^[a-zA-Z0-9_.-]+$/.test(name)) throw new Error(`invalid model name "${name}"`);
    const file = join(this.repository, name, 'config.json');
    const { mtimeMs } = await stat(file);
    const hit = this.cache.get(name);
    if (hit && hit.mtimeMs === mtimeMs) return hit.config;
    const config = JSON.parse(await readFile(file, 'utf8')) as ModelConfig;
    this.cache.set(name, { mtimeMs, config });
    return config;
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
