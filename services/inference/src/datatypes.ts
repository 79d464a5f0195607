/** KServe v2 tensor datatypes and how they map onto onnxruntime's tensor types. */
export type KserveDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64';

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

const TABLE: Record<KserveDatatype, { ort: OrtType; bytes: number }> = {
  BOOL: { ort: 'bool', bytes: 1 },
  UINT8: { ort: 'uint8', bytes: 1 },
  UINT16: { ort: 'uint16', bytes: 2 },
  UINT32: { ort: 'uint32', bytes: 4 },
  UINT64: { ort: 'uint64', bytes: 8 },
  INT8: { ort: 'int8', bytes: 1 },
  INT16: { ort: 'int16', bytes: 2 },
  INT32: { ort: 'int32', bytes: 4 },
  INT64: { ort: 'int64', bytes: 8 },
  FP16: { ort: 'float16', bytes: 2 },
  FP32: { ort: 'float32', bytes: 4 },
  FP64: { ort: 'float64', bytes: 8 },
};

const FROM_ORT = new Map<string, KserveDatatype>(Object.entries(TABLE).map(([k, v]) => [v.ort, k as KserveDatatype]));

export function isKserveDatatype(value: string): value is KserveDatatype {
  return Object.hasOwn(TABLE, value);
}

export function ortTypeOf(datatype: KserveDatatype): OrtType {
  return TABLE[datatype].ort;
}

/** undefined for ORT types the protocol cannot carry here (string tensors). */
export function kserveTypeOf(ortType: string): KserveDatatype | undefined {
  return FROM_ORT.get(ortType);
}

export function elementBytes(datatype: KserveDatatype): number {
  return TABLE[datatype].bytes;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
