import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, ModelConfig } from '@riverwatch/common';

export interface CatalogModel {
  name: string;
  versions: number[];
  config: ModelConfig;
}

/** The model repository on disk (Triton layout): <name>/config.json and <name>/<version>/model.onnx. */
export class ModelCatalog {
  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  async list(): Promise<CatalogModel[]> {
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const models: CatalogModel[] = [];
    for (const name of names.sort()) {
      const dir = join(this.root, name);
      let config: ModelConfig;
      try {
        config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as ModelConfig;
      } catch (err) {
        // A folder without a readable config is not a model (yet); say so in the log, not to clients.
        this.logger.warn({ model: name, err: (err as Error).message }, 'skipping model folder without a readable config.json');
        continue;
      }
      models.push({ name: config.name ?? name, versions: await this.versions(dir), config });
    }
    return models;
  }

  private async versions(dir: string): Promise<number[]> {
    const out: number[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
      const ok = await stat(join(dir, entry.name, 'model.onnx')).then(
        () => true,
        () => false,
      );
      if (ok) out.push(Number(entry.name));
    }
    return out.sort((a, b) => a - b);
  }
}
