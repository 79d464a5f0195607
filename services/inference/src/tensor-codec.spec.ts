import type { InferTensorContents__Output, ModelInferRequest__Output } from '@riverwatch/proto';
import { describe, expect, it } from 'vitest';
import { SharedMemoryRegistry } from './shared-memory.ts';
import { decodeInputs, takeInputs } from './tensor-codec.ts';

/** Client shared memory off, as by default. */
const NO_SHM = new SharedMemoryRegistry(false);

const empty: InferTensorContents__Output = { bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [] };

function req(inputs: { name: string; datatype: string; shape: number[]; contents?: Partial<typeof empty> }[], raw: Buffer[] = []): ModelInferRequest__Output {
  return {
    model_name: 'm',
    model_version: '',
    id: '',
    parameters: {},
    outputs: [],
    raw_input_contents: raw,
    inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, parameters: {}, contents: i.contents ? { ...empty, ...i.contents } : null })),
  };
}

describe('decodeInputs', () => {
  it('turns typed contents into little-endian raw bytes', () => {
    const [f, u, l, b] = decodeInputs(
      req([
        { name: 'f', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1.5, -2] } },
        { name: 'u', datatype: 'UINT8', shape: [3], contents: { uint_contents: [0, 128, 255] } },
        { name: 'l', datatype: 'INT64', shape: [1], contents: { int64_contents: [-7] } },
        { name: 'b', datatype: 'BOOL', shape: [2], contents: { bool_contents: [true, false] } },
      ]),
      NO_SHM,
    );
    expect([f.data.readFloatLE(0), f.data.readFloatLE(4)]).toEqual([1.5, -2]);
    expect([...u.data]).toEqual([0, 128, 255]);
    expect(l.data.readBigInt64LE(0)).toBe(-7n);
    expect([...b.data]).toEqual([1, 0]);
  });

  it('takes raw bytes as they are', () => {
    const raw = Buffer.from([1, 2, 3, 4]);
    expect(decodeInputs(req([{ name: 'x', datatype: 'UINT8', shape: [2, 2] }], [raw]), NO_SHM)[0].data).toBe(raw);
  });

  it.each([
    ['a count of values that does not fit the shape', req([{ name: 'x', datatype: 'FP32', shape: [3], contents: { fp32_contents: [1, 2] } }]), /2 values.*needs 3/],
    ['FP16 in typed contents', req([{ name: 'x', datatype: 'FP16', shape: [1], contents: {} }]), /FP16.*raw_input_contents/],
    ['an unknown datatype', req([{ name: 'x', datatype: 'FP8', shape: [1], contents: {} }]), /unsupported datatype 'FP8'/],
    ['a negative dimension', req([{ name: 'x', datatype: 'FP32', shape: [-1], contents: {} }]), /invalid shape \[-1\]/],
    ['no data at all', req([{ name: 'x', datatype: 'FP32', shape: [1] }]), /no data/],
    ['raw entries that do not match the inputs', req([{ name: 'x', datatype: 'FP32', shape: [1] }, { name: 'y', datatype: 'FP32', shape: [1] }], [Buffer.alloc(4)]), /1 entries for 2 inputs/],
    ['raw bytes of the wrong size', req([{ name: 'x', datatype: 'FP32', shape: [2] }], [Buffer.alloc(4)]), /4 bytes.*needs 8/],
  ])('rejects %s with INVALID_ARGUMENT naming it', (_what, request, message) => {
    expect(() => decodeInputs(request, NO_SHM)).toThrow(message);
    try {
      decodeInputs(request, NO_SHM);
    } catch (err) {
      expect((err as { code: number }).code).toBe(3);
    }
  });
});

describe('takeInputs', () => {
  it('decodes the inputs and leaves the message holding none of their bytes', () => {
    const raw = Buffer.from([1, 2, 3, 4]);
    const message = req([{ name: 'x', datatype: 'UINT8', shape: [2, 2] }], [raw]);
    const [x] = takeInputs(message, NO_SHM);
    expect(x.data).toBe(raw);
    expect(message.raw_input_contents).toEqual([]);
  });
});
