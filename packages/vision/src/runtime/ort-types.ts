import { ModelFormatError } from '../errors.ts';

/** onnxruntime's type names to KServe datatypes. */
const ORT_TO_KSERVE: Record<string, string> = {
  float32: 'FP32',
  float16: 'FP16',
  float64: 'FP64',
  uint8: 'UINT8',
  int8: 'INT8',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
};

export function ortTypeToDatatype(type: string): string {
  const t = ORT_TO_KSERVE[type];
  if (!t) throw new ModelFormatError(`tensor type ${type} is not supported`);
  return t;
}

export function datatypeToOrtType(datatype: string): 'float32' | 'float16' | 'uint8' {
  if (datatype === 'FP32') return 'float32';
  if (datatype === 'FP16') return 'float16';
  if (datatype === 'UINT8') return 'uint8';
  throw new ModelFormatError(`input datatype ${datatype} is not supported (FP32, FP16, UINT8)`);
}
