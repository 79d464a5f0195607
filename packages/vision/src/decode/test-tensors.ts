// Builders for decoder specs: tensors as the inference client returns them.
import { float32ToTensor, type InferTensor } from '../tensor/infer-tensor.ts';
import { computeTransform } from '../preprocess/frame-transform.ts';

export const tensor = (name: string, shape: number[], values: number[], datatype: 'FP32' | 'FP16' = 'FP32'): InferTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const f = new Float32Array(n);
  f.set(values);
  return float32ToTensor(name, f, shape, datatype);
};

/** A 640x320 frame letterboxed into 320x320: scale 0.5, padY 80. */
export const wideFrame = computeTransform(640, 320, { width: 320, height: 320, resize: 'letterbox' });
