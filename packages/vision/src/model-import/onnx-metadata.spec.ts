import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { parseClassNames, readOnnxMetadata } from './onnx-metadata.ts';

const fixture = new URL('../../../../test/fixtures/vision-models/yolov5-static.onnx', import.meta.url);

describe('ONNX metadata', () => {
  it('reads YOLOv5 custom metadata from the file', async () => {
    expect(readOnnxMetadata(await readFile(fixture))).toEqual({ stride: '32', names: "{0: 'bottle', 1: 'bag'}" });
  });

  it('raises ModelFormatError for bytes that are not protobuf', () => {
    expect(() => readOnnxMetadata(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toThrow(ModelFormatError);
  });

  it('parses class names in the shapes exports write them', () => {
    expect(parseClassNames("{0: 'person', 1: 'bicycle', 10: 'fire hydrant', 2: \"car\"}")).toEqual(['person', 'bicycle', 'car', 'fire hydrant']);
    expect(parseClassNames('["a","b"]')).toEqual(['a', 'b']);
    expect(parseClassNames('{"1":"b","0":"a"}')).toEqual(['a', 'b']);
    expect(parseClassNames("['x', 'y']")).toEqual(['x', 'y']);
    expect(parseClassNames('')).toBeUndefined();
    expect(parseClassNames('nothing here')).toBeUndefined();
  });
});
