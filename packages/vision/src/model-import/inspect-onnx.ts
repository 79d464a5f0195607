import { readFile } from 'node:fs/promises';
import { ModelFormatError } from '../errors.ts';
import { ortTypeToDatatype } from '../runtime/ort-types.ts';
import { readOnnxMetadata } from './onnx-metadata.ts';

/** A dimension: a number, or null where the export left it dynamic. */
export type Dim = number | null;

export interface OnnxValueInfo {
  name: string;
  datatype: string;
  shape: Dim[];
}

export interface OnnxInspection {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Custom metadata (YOLOv5 writes `names` and `stride`). */
  metadata: Record<string, string>;
}

/** Loads the model in onnxruntime (so a broken file fails here) and lists inputs, outputs and metadata. */
export async function inspectOnnx(path: string): Promise<OnnxInspection> {
  const bytes = await readFile(path);
  let metadata: Record<string, string>;
  try {
    metadata = readOnnxMetadata(bytes);
  } catch (err) {
    throw new ModelFormatError(`${path}: ${(err as Error).message}`);
  }
  const ort = await import('onnxruntime-node');
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  } catch (err) {
    throw new ModelFormatError(`${path}: onnxruntime cannot load it: ${(err as Error).message}`);
  }
  try {
    const info = (m: import('onnxruntime-node').InferenceSession.ValueMetadata): OnnxValueInfo => {
      if (!m.isTensor) throw new ModelFormatError(`${path}: ${m.name} is not a tensor`);
      return { name: m.name, datatype: ortTypeToDatatype(m.type), shape: m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : null)) };
    };
    return { inputs: session.inputMetadata.map(info), outputs: session.outputMetadata.map(info), metadata };
  } finally {
    await session.release();
  }
}
