import type { InferTensorContents__Output } from '@riverwatch/proto';

export type TensorDatatype = 'FP32' | 'FP16' | 'UINT8' | 'INT64' | 'INT32' | 'BOOL';

export interface Tensor {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
  /** Raw little-endian bytes, row-major. */
  data: Buffer;
}

/**
 * Servers may answer with typed `contents` instead of raw bytes (the protocol
 * allows both); this turns them into the raw form the rest of the client uses.
 */
export function contentsToRaw(datatype: string, c: InferTensorContents__Output): Buffer {
  let view: ArrayBufferView;
  switch (datatype) {
    case 'FP32': view = Float32Array.from(c.fp32_contents); break;
    case 'FP64': view = Float64Array.from(c.fp64_contents); break;
    case 'INT8': view = Int8Array.from(c.int_contents); break;
    case 'INT16': view = Int16Array.from(c.int_contents); break;
    case 'INT32': view = Int32Array.from(c.int_contents); break;
    case 'INT64': view = BigInt64Array.from(c.int64_contents, (v) => BigInt(v)); break;
    case 'UINT8': view = Uint8Array.from(c.uint_contents); break;
    case 'UINT16': view = Uint16Array.from(c.uint_contents); break;
    case 'UINT32': view = Uint32Array.from(c.uint_contents); break;
    case 'UINT64': view = BigUint64Array.from(c.uint64_contents, (v) => BigInt(v)); break;
    case 'BOOL': view = Uint8Array.from(c.bool_contents, (v) => (v ? 1 : 0)); break;
    default: throw new Error(`cannot read ${datatype} tensor contents`);
  }
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
