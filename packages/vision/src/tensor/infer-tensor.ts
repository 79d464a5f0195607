import { InvalidInputError } from '@riverwatch/common';
import { float16ToFloat32Array, float32ToFloat16Array } from './float16.ts';

/** KServe v2 datatype names, as the inference protocol carries them. */
export type TensorDatatype = 'FP32' | 'FP16' | 'FP64' | 'UINT8' | 'INT8' | 'INT32' | 'INT64' | 'BOOL';

/** A raw tensor as the inference client returns it: little-endian bytes plus shape. */
export interface InferTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: Buffer;
}

const BYTES: Record<string, number> = { FP32: 4, FP16: 2, FP64: 8, UINT8: 1, INT8: 1, INT32: 4, INT64: 8, BOOL: 1 };

export function bytesPerElement(datatype: string): number {
  const n = BYTES[datatype];
  if (!n) throw new InvalidInputError(`unsupported tensor datatype ${datatype}`);
  return n;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Copies to a fresh ArrayBuffer when `data` is not aligned for a typed-array view. */
function aligned(data: Buffer, align: number): { buffer: ArrayBufferLike; offset: number } {
  if (data.byteOffset % align === 0) return { buffer: data.buffer, offset: data.byteOffset };
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return { buffer: copy.buffer, offset: 0 };
}

/** Any numeric tensor as float32 values (fp16 widened, int64 narrowed). Checks the byte length against the shape. */
export function tensorToFloat32(t: InferTensor): Float32Array {
  const n = elementCount(t.shape);
  const size = bytesPerElement(t.datatype);
  if (t.data.byteLength !== n * size) {
    throw new InvalidInputError(`tensor ${t.name}: ${t.data.byteLength} bytes do not match shape [${t.shape.join(',')}] of ${t.datatype}`);
  }
  const { buffer, offset } = aligned(t.data, size);
  switch (t.datatype) {
    case 'FP32':
      return new Float32Array(buffer, offset, n);
    case 'FP16':
      return float16ToFloat32Array(new Uint16Array(buffer, offset, n));
    case 'FP64':
      return Float32Array.from(new Float64Array(buffer, offset, n));
    case 'INT64': {
      const src = new BigInt64Array(buffer, offset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(src[i]);
      return out;
    }
    case 'INT32':
      return Float32Array.from(new Int32Array(buffer, offset, n));
    case 'INT8':
      return Float32Array.from(new Int8Array(buffer, offset, n));
    case 'UINT8':
    case 'BOOL':
      return Float32Array.from(new Uint8Array(buffer, offset, n));
    default:
      throw new InvalidInputError(`unsupported tensor datatype ${t.datatype}`);
  }
}

/** Wraps float values as an InferTensor of the given datatype (FP32 or FP16). */
export function float32ToTensor(name: string, values: Float32Array, shape: number[], datatype: 'FP32' | 'FP16' = 'FP32'): InferTensor {
  if (datatype === 'FP32') return { name, datatype, shape, data: Buffer.from(values.buffer, values.byteOffset, values.byteLength) };
  const bits = float32ToFloat16Array(values);
  return { name, datatype, shape, data: Buffer.from(bits.buffer) };
}
