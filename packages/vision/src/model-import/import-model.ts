import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelConfig } from '@riverwatch/common';
import { ConfigError } from '@riverwatch/common';
import { modelVersions } from '../runtime/model-repository.ts';
import { buildModelConfig, type ImportOptions } from './build-config.ts';
import { inspectOnnx } from './inspect-onnx.ts';

export interface ImportResult {
  dir: string;
  version: string;
  config: ModelConfig;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/**
 * Inspects an ONNX file and writes repository/<name>/config.json and
 * <name>/<next version>/model.onnx; importing under an existing name adds a version.
 */
export async function importModel(file: string, repository: string, opts: ImportOptions): Promise<ImportResult> {
  if (!NAME.test(opts.name) || opts.name.includes('..')) throw new ConfigError(`model name "${opts.name}" must be letters, digits, . _ - (up to 64)`);
  const config = buildModelConfig(await inspectOnnx(file), opts);
  const dir = join(repository, opts.name);
  const latest = (await modelVersions(dir))[0];
  const version = String(latest ? Number(latest) + 1 : 1);
  await mkdir(join(dir, version), { recursive: true });
  await copyFile(file, join(dir, version, 'model.onnx'));
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  return { dir, version, config };
}
