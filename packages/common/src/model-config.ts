import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** models/<name>/config.json: what a model is and how to feed and read it. */
export interface ModelConfig {
  name: string;
  task: 'detect' | 'segment';
  format: 'yolov5' | 'ssd' | 'ssd-nms' | 'segmentation';
  platform: 'onnxruntime_onnx';
  input: {
    name: string;
    dtype: 'FP32' | 'FP16' | 'UINT8';
    layout: 'NCHW' | 'NHWC';
    width: number;
    height: number;
    colorOrder: 'RGB' | 'BGR';
    resize: 'letterbox' | 'stretch';
    padValue?: number;
    normalize: { scale: number; mean: number[]; std: number[] };
  };
  outputs: { name: string; dtype: string; dims: number[] }[];
  classes: string[];
  thresholds: { score: number; iou: number };
  maxBatchSize: number;
  dynamicBatching?: { maxQueueDelayMs: number; maxQueueSize?: number };
  instances?: number;
  evaluation?: Record<string, unknown>;
}

/** Numeric version folders of a Triton-layout model dir that hold a model.onnx, highest first. */
export async function modelVersions(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const versions: string[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    if (await stat(join(dir, n, 'model.onnx')).then((s) => s.isFile(), () => false)) versions.push(n);
  }
  return versions.sort((a, b) => Number(b) - Number(a));
}
