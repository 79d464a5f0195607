import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPostprocess, checkTiling, type ModelConfig } from '@riverwatch/common';

/** What the server needs from config.json; the rest (classes, normalisation...) is the worker's. */
export type ServedModelConfig = Pick<ModelConfig, 'name' | 'maxBatchSize' | 'dynamicBatching' | 'instances'> & Partial<ModelConfig>;

export interface ModelOnDisk {
  name: string;
  config: ServedModelConfig;
  /** version -> model.onnx path, numeric versions only. */
  versions: Map<string, string>;
  /** Changes whenever config.json or any model.onnx changes (size or mtime). */
  fingerprint: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A model repository in Triton's layout: <root>/<name>/config.json and
 * <root>/<name>/<version>/model.onnx, versions being positive integers.
 */
export class ModelRepository {
  /** `defaultInstances`: sessions of a model whose config.json does not set `instances` (INFERENCE_INSTANCES). */
  constructor(
    readonly root: string,
    private readonly defaultInstances = 1,
  ) {}

  /** Model names: directories holding a config.json. */
  async list(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const names: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || !NAME.test(e.name)) continue;
      if (await exists(join(this.root, e.name, 'config.json'))) names.push(e.name);
    }
    return names.sort();
  }

  /** Cheap change detection for polling: stats only, no file reads. */
  async fingerprint(name: string): Promise<string | undefined> {
    const dir = join(this.root, name);
    const cfg = await stat(join(dir, 'config.json')).catch(() => undefined);
    if (!cfg) return undefined;
    const parts = [`c${cfg.size}:${cfg.mtimeMs}`];
    for (const v of await this.versionDirs(dir)) {
      const m = await stat(join(dir, v, 'model.onnx')).catch(() => undefined);
      if (m) parts.push(`${v}:${m.size}:${m.mtimeMs}`);
    }
    return parts.join('|');
  }

  async read(name: string): Promise<ModelOnDisk | undefined> {
    if (!NAME.test(name)) return undefined;
    const dir = join(this.root, name);
    const fingerprint = await this.fingerprint(name);
    if (fingerprint === undefined) return undefined;
    const config = parseConfig(name, await readFile(join(dir, 'config.json'), 'utf8'), this.defaultInstances);
    const versions = new Map<string, string>();
    for (const v of await this.versionDirs(dir)) {
      const file = join(dir, v, 'model.onnx');
      if (await exists(file)) versions.set(v, file);
    }
    return { name, config, versions, fingerprint };
  }

  private async versionDirs(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && /^[1-9]\d{0,8}$/.test(e.name))
      .map((e) => e.name)
      .sort((a, b) => Number(a) - Number(b));
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Validates the serving fields; a bad config fails that model's load with a clear reason. */
export function parseConfig(name: string, text: string, defaultInstances = 1): ServedModelConfig {
  let raw: Partial<ModelConfig>;
  try {
    raw = JSON.parse(text) as Partial<ModelConfig>;
  } catch (err) {
    throw new Error(`${name}/config.json is not valid JSON: ${(err as Error).message}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);
  if (!isObject(raw)) throw new Error(`${name}/config.json must hold a JSON object, got ${kind(raw)}`);
  for (const field of ['dynamicBatching', 'tiling'] as const) {
    if (raw[field] !== undefined && !isObject(raw[field])) throw new Error(`${name}/config.json: ${field} must be an object, got ${kind(raw[field])}`);
  }
  const intIn = (v: unknown, field: string, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`${name}/config.json: ${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const maxBatchSize = intIn(raw.maxBatchSize ?? 0, 'maxBatchSize', 0, 1024);
  const instances = intIn(raw.instances ?? defaultInstances, 'instances', 1, 64);
  let dynamicBatching: ServedModelConfig['dynamicBatching'];
  if (raw.dynamicBatching) {
    dynamicBatching = {
      maxQueueDelayMs: intIn(raw.dynamicBatching.maxQueueDelayMs ?? 0, 'dynamicBatching.maxQueueDelayMs', 0, 10_000),
      maxQueueSize: intIn(raw.dynamicBatching.maxQueueSize ?? 1024, 'dynamicBatching.maxQueueSize', 1, 1_000_000),
    };
  }
  if (raw.tiling !== undefined) {
    // Tiling is the clients' business, but a model that cannot be tiled should not load as if it could.
    try {
      checkTiling(raw.tiling);
    } catch (err) {
      throw new Error(`${name}/config.json: ${(err as Error).message}`);
    }
  }
  if (raw.postprocess !== undefined) {
    // The server decodes these itself: a block that cannot work refuses the load, naming its field.
    try {
      checkPostprocess(raw.postprocess, raw);
    } catch (err) {
      throw new Error(`${name}/config.json: ${(err as Error).message}`);
    }
  }
  return { ...raw, name, maxBatchSize, instances, dynamicBatching };
}
