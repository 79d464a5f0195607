/** How KServe v2 tensor datatypes map onto onnxruntime's tensor types. */
import { DATATYPE_BYTES, isKserveDatatype, type KserveDatatype } from '@riverwatch/proto';

export { isKserveDatatype, type KserveDatatype };

export type OrtType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64';

const TABLE: Record<KserveDatatype, OrtType> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
};

const FROM_ORT = new Map<string, KserveDatatype>(Object.entries(TABLE).map(([k, v]) => [v, k as KserveDatatype]));

export function ortTypeOf(datatype: KserveDatatype): OrtType {
  return TABLE[datatype];
}

/** undefined for ORT types the protocol cannot carry here (string tensors). */
export function kserveTypeOf(ortType: string): KserveDatatype | undefined {
  return FROM_ORT.get(ortType);
}

export function elementBytes(datatype: KserveDatatype): number {
  return DATATYPE_BYTES[datatype];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
