import type { InferTensorContents__Output, ModelInferRequest__Output } from '@riverwatch/proto';
import { elementBytes, elementCount, isKserveDatatype, type KserveDatatype } from './datatypes.ts';
import { invalidArgument } from './infer-error.ts';
import { shmRefOf, type SharedMemoryRegistry } from './shared-memory.ts';

/** An input as the client sent it, with its bytes in raw little-endian form. */
export interface RequestTensor {
  name: string;
  datatype: KserveDatatype;
  shape: number[];
  data: Buffer;
}

export interface OutputTensor {
  name: string;
  datatype: KserveDatatype;
  shape: number[];
  data: Buffer;
}

/**
 * Typed `contents` -> raw bytes. The protocol widens small types (UINT8 travels
 * in uint_contents, INT8/INT16 in int_contents) and has no field for FP16.
 */
function contentsToBytes(name: string, datatype: KserveDatatype, count: number, c: InferTensorContents__Output): Buffer {
  const pick = (values: readonly (number | boolean)[], field: string) => {
    if (values.length !== count) {
      throw invalidArgument(`input '${name}' has ${values.length} values in contents.${field}; its shape needs ${count}`);
    }
    return values;
  };
  let view: ArrayBufferView;
  switch (datatype) {
    case 'FP32': view = Float32Array.from(pick(c.fp32_contents, 'fp32_contents') as number[]); break;
    case 'FP64': view = Float64Array.from(pick(c.fp64_contents, 'fp64_contents') as number[]); break;
    case 'INT8': view = Int8Array.from(pick(c.int_contents, 'int_contents') as number[]); break;
    case 'INT16': view = Int16Array.from(pick(c.int_contents, 'int_contents') as number[]); break;
    case 'INT32': view = Int32Array.from(pick(c.int_contents, 'int_contents') as number[]); break;
    case 'INT64': view = BigInt64Array.from(pick(c.int64_contents, 'int64_contents') as number[], (v) => BigInt(v)); break;
    case 'UINT8': view = Uint8Array.from(pick(c.uint_contents, 'uint_contents') as number[]); break;
    case 'UINT16': view = Uint16Array.from(pick(c.uint_contents, 'uint_contents') as number[]); break;
    case 'UINT32': view = Uint32Array.from(pick(c.uint_contents, 'uint_contents') as number[]); break;
    case 'UINT64': view = BigUint64Array.from(pick(c.uint64_contents, 'uint64_contents') as number[], (v) => BigInt(v)); break;
    case 'BOOL': view = Uint8Array.from(pick(c.bool_contents, 'bool_contents') as boolean[], (v) => (v ? 1 : 0)); break;
    case 'FP16': throw invalidArgument(`input '${name}' is FP16, which the protocol carries only in raw_input_contents`);
  }
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Reads the inputs of a ModelInferRequest, from raw_input_contents, typed
 * contents, or a registered shared-memory region (an input naming one has an
 * empty raw_input_contents entry, or none).
 */
export function decodeInputs(req: ModelInferRequest__Output, shm: SharedMemoryRegistry): RequestTensor[] {
  const raw = req.raw_input_contents;
  if (raw.length && raw.length !== req.inputs.length) {
    throw invalidArgument(`raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs; send one per input or none`);
  }
  return req.inputs.map((input, i) => {
    const { name, datatype } = input;
    if (!isKserveDatatype(datatype)) throw invalidArgument(`input '${name}' has unsupported datatype '${datatype}'`);
    const shape = input.shape.map(Number);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw invalidArgument(`input '${name}' has an invalid shape [${shape.join(',')}]`);
    }
    const count = elementCount(shape);
    const expected = count * elementBytes(datatype);
    let data: Buffer;
    const ref = shmRefOf(`input '${name}'`, input.parameters);
    if (ref) {
      if (raw[i]?.byteLength || (input.contents && hasTypedValues(input.contents))) {
        throw invalidArgument(`input '${name}' names a shared memory region and also carries data; send one`);
      }
      if (ref.byteSize !== expected) {
        throw invalidArgument(`input '${name}' has ${ref.byteSize} bytes in shared memory; shape [${shape.join(',')}] of ${datatype} needs ${expected}`);
      }
      data = shm.read(`input '${name}'`, ref);
    } else if (raw.length) {
      data = raw[i];
      if (input.contents && hasTypedValues(input.contents)) {
        throw invalidArgument(`input '${name}' has both raw_input_contents and contents; send one`);
      }
    } else {
      if (!input.contents) throw invalidArgument(`input '${name}' has no data (neither raw_input_contents nor contents)`);
      data = contentsToBytes(name, datatype, count, input.contents);
    }
    if (data.byteLength !== expected) {
      throw invalidArgument(
        `input '${name}' has ${data.byteLength} bytes; shape [${shape.join(',')}] of ${datatype} needs ${expected}`,
      );
    }
    return { name, datatype, shape, data };
  });
}

/**
 * decodeInputs, then the message lets go of its raw bytes: the tensors hold them now, and the
 * decoded message lives as long as the call, which would keep grpc-js's buffer of the whole
 * message alive past the moment the scheduler releases it (see RELEASED in model-scheduler.ts).
 */
export function takeInputs(req: ModelInferRequest__Output, shm: SharedMemoryRegistry): RequestTensor[] {
  const tensors = decodeInputs(req, shm);
  req.raw_input_contents = [];
  return tensors;
}

function hasTypedValues(c: InferTensorContents__Output): boolean {
  return (
    c.bool_contents.length + c.int_contents.length + c.int64_contents.length + c.uint_contents.length +
      c.uint64_contents.length + c.fp32_contents.length + c.fp64_contents.length + c.bytes_contents.length >
    0
  );
}
