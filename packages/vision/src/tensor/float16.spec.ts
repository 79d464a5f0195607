import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float16ToFloat32Array, float32ToFloat16Array, float32ToFloat16Bits } from './float16.ts';
import { float32ToTensor, tensorToFloat32 } from './infer-tensor.ts';

describe('fp16 conversion', () => {
  it('encodes known values bit-exactly', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(0.5)).toBe(0x3800);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(0)).toBe(0);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(1); // smallest subnormal
  });

  it('overflows to infinity and keeps NaN', () => {
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });

  it('rounds to nearest even', () => {
    // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to even (1).
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('round-trips every finite half value', () => {
    for (let bits = 0; bits < 0x7c00; bits += 7) {
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
      expect(float32ToFloat16Bits(-float16BitsToFloat32(bits))).toBe(bits | 0x8000);
    }
  });

  it('converts arrays both ways within half precision', () => {
    const values = Float32Array.from([0.81, 0.001, 320.5, -7.25, 1e-5]);
    const back = float16ToFloat32Array(float32ToFloat16Array(values));
    values.forEach((v, i) => expect(back[i]).toBeCloseTo(v, Math.abs(v) > 100 ? 0 : 3));
  });
});

describe('InferTensor to float32', () => {
  it('reads fp16 tensors and misaligned fp32 buffers', () => {
    const t16 = float32ToTensor('x', Float32Array.from([1, 2, 3]), [3], 'FP16');
    expect(Array.from(tensorToFloat32(t16))).toEqual([1, 2, 3]);
    const raw = Buffer.alloc(13);
    Buffer.from(Float32Array.from([4, 5, 6]).buffer).copy(raw, 1);
    expect(Array.from(tensorToFloat32({ name: 'y', datatype: 'FP32', shape: [3], data: raw.subarray(1) }))).toEqual([4, 5, 6]);
  });

  it('reads int64 labels', () => {
    const data = Buffer.from(BigInt64Array.from([1n, 3n]).buffer);
    expect(Array.from(tensorToFloat32({ name: 'labels', datatype: 'INT64', shape: [1, 2], data }))).toEqual([1, 3]);
  });

  it('refuses a byte length that does not match the shape: a truncated tensor must not be decoded', () => {
    expect(() => tensorToFloat32({ name: 'z', datatype: 'FP32', shape: [2, 2], data: Buffer.alloc(12) })).toThrow(/12 bytes do not match shape \[2,2\]/);
  });
});
