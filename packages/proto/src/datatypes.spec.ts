import { describe, expect, it } from 'vitest';
import { tensorByteSize } from './datatypes.ts';

describe('tensorByteSize', () => {
  it('sizes fixed-width datatypes and refuses BYTES and unknown names', () => {
    expect(tensorByteSize('FP32', [1, 15120, 10])).toBe(604800);
    expect(tensorByteSize('UINT8', [1, 3, 384, 640])).toBe(737280);
    expect(tensorByteSize('FP16', [2, 3])).toBe(12);
    expect(tensorByteSize('BYTES', [1])).toBeUndefined();
    expect(tensorByteSize('toString', [1])).toBeUndefined();
  });
});
