import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ConfigError } from '@riverwatch/common';
import { buildModelConfig, type ImportFormat } from '../model-import/build-config.ts';
import { inspectOnnx } from '../model-import/inspect-onnx.ts';
import { loadModelEntry } from './model-repository.ts';
import { OnnxModel } from './onnx-model.ts';

export interface OpenModelOptions {
  /** Required for a bare .onnx file: how to read its outputs. */
  format?: ImportFormat;
  classes?: string[];
  /** Input size for a bare .onnx file with dynamic height/width. */
  size?: number;
  threads?: number;
}

/** A repository model dir (config.json + version) or a bare .onnx file inspected on the fly. */
export async function openModel(path: string, opts: OpenModelOptions = {}): Promise<{ model: OnnxModel; version: string }> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new ConfigError(`model ${path} does not exist`);
  if (s.isDirectory()) {
    const entry = await loadModelEntry(path);
    const config = opts.classes?.length ? { ...entry.config, classes: opts.classes } : entry.config;
    return { model: await OnnxModel.open(entry.onnxPath, config, { threads: opts.threads }), version: entry.version };
  }
  if (extname(path) !== '.onnx') throw new ConfigError(`model ${path} is neither a model dir (config.json + <version>/model.onnx) nor a .onnx file`);
  if (!opts.format) throw new ConfigError(`--format yolov5|ssd|ssd-nms|segmentation is needed to read a bare .onnx file`);
  const config = buildModelConfig(await inspectOnnx(path), { format: opts.format, name: basename(path, '.onnx'), classes: opts.classes, size: opts.size });
  return { model: await OnnxModel.open(path, config, { threads: opts.threads }), version: 'file' };
}
