/** Bytes per element of each fixed-width KServe v2 tensor datatype (BYTES has no fixed width). */
export const DATATYPE_BYTES = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
} as const;

export type KserveDatatype = keyof typeof DATATYPE_BYTES;

export function isKserveDatatype(value: string): value is KserveDatatype {
  return Object.hasOwn(DATATYPE_BYTES, value);
}

/** Bytes of a tensor, or undefined for a datatype without a fixed width. */
export function tensorByteSize(datatype: string, shape: readonly number[]): number | undefined {
  return isKserveDatatype(datatype) ? shape.reduce((n, d) => n * d, DATATYPE_BYTES[datatype] as number) : undefined;
}
