import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelVersions, type Logger, type ModelConfig } from '@riverwatch/common';

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
      models.push({ name: config.name ?? name, versions: (await modelVersions(dir)).map(Number).reverse(), config });
    }
    return models;
  }
}
