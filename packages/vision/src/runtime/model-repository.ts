import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, modelVersions, type ModelConfig } from '@riverwatch/common';

export { modelVersions };

export interface ModelEntry {
  /** models/<name> */
  dir: string;
  config: ModelConfig;
  version: string;
  onnxPath: string;
}

/** A Triton-layout model dir: config.json plus <version>/model.onnx (the highest version unless one is named). */
export async function loadModelEntry(dir: string, version?: string): Promise<ModelEntry> {
  let config: ModelConfig;
  try {
    config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as ModelConfig;
  } catch (err) {
    throw new ConfigError(`${dir}: cannot read config.json (${(err as Error).message})`);
  }
  const versions = await modelVersions(dir);
  const v = version ?? versions[0];
  if (!v || !versions.includes(v)) throw new ConfigError(`${dir}: no ${version ? `version ${version}` : 'version folder'} with a model.onnx`);
  return { dir, config, version: v, onnxPath: join(dir, v, 'model.onnx') };
}

/** Every model entry in a repository, sorted by name; dirs without config.json are skipped. */
export async function listModelEntries(repository: string): Promise<ModelEntry[]> {
  const names = (await readdir(repository).catch(() => [] as string[])).sort();
  const out: ModelEntry[] = [];
  for (const n of names) {
    const dir = join(repository, n);
    if (!(await stat(join(dir, 'config.json')).then(() => true, () => false))) continue;
    out.push(await loadModelEntry(dir));
  }
  return out;
}
