import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { decodeDetections } from './decode-detections.ts';
import { decodeYolov5 } from './yolov5.ts';
import { tensor, wideFrame } from './test-tensors.ts';

const config = { format: 'yolov5' as const, classes: ['bottle', 'bag', 'foam'], thresholds: { score: 0.25, iou: 0.45 } };
// cx cy w h obj c0 c1 c2
const rows = [
  [160, 160, 40, 20, 0.9, 0.9, 0.05, 0.05], // bottle 0.81 at model (140,150)-(180,170)
  [162, 160, 40, 20, 0.8, 0.9, 0.05, 0.05], // duplicate bottle: suppressed
  [162, 160, 40, 20, 0.8, 0.1, 0.8, 0.1], // bag on the same spot: kept (class-aware)
  [60, 100, 10, 10, 0.3, 0.5, 0.5, 0.5], // 0.15 < 0.25: dropped
];

describe('decodeYolov5', () => {
  it('scores obj x best class, runs class-aware NMS and maps boxes to frame pixels', () => {
    const [dets] = decodeYolov5([tensor('output0', [1, 4, 8], rows.flat())], config, [wideFrame]);
    expect(dets!.map((d) => [d.className, +d.score.toFixed(3)])).toEqual([['bottle', 0.81], ['bag', 0.64]]);
    expect(dets![0]!.box).toEqual([280, 140, 360, 180]); // ((140-0)/0.5, (150-80)/0.5, ...)
  });

  it('decodes fp16 outputs named "output" with any row count', () => {
    const padded = [...rows, ...Array.from({ length: 6297 - 4 }, () => [0, 0, 0, 0, 0, 0, 0, 0])];
    const [dets] = decodeYolov5([tensor('output', [1, 6297, 8], padded.flat(), 'FP16')], config, [wideFrame]);
    expect(dets!.map((d) => d.className)).toEqual(['bottle', 'bag']);
    expect(dets![0]!.score).toBeCloseTo(0.81, 2);
    expect(dets![0]!.box[0]).toBeCloseTo(280, 0);
  });

  it('decodes a batch frame by frame', () => {
    const out = tensor('output0', [2, 4, 8], [...rows.flat(), ...rows.slice(3).flat(), ...Array(24).fill(0)]);
    const res = decodeYolov5([out], config, [wideFrame, wideFrame]);
    expect(res.map((d) => d.length)).toEqual([2, 0]);
  });

  it('honours score threshold override and agnostic NMS', () => {
    const t = [tensor('output0', [1, 4, 8], rows.flat())];
    expect(decodeYolov5(t, config, [wideFrame], { scoreThreshold: 0.1 })[0]).toHaveLength(3);
    expect(decodeYolov5(t, config, [wideFrame], { agnostic: true })[0]!.map((d) => d.className)).toEqual(['bottle']);
  });

  it('refuses rows whose width is not 5 + classes: the class columns would be misread', () => {
    expect(() => decodeYolov5([tensor('output0', [1, 4, 7], [])], config, [wideFrame])).toThrow(ModelFormatError);
    expect(() => decodeYolov5([tensor('output0', [1, 4, 7], [])], config, [wideFrame])).toThrow(/expected 5 \+ 3 classes = 8/);
  });

  it('names the outputs it got when none fits', () => {
    expect(() => decodeYolov5([tensor('feat', [1, 2, 3, 4], [])], config, [wideFrame])).toThrow(/no YOLOv5 output: expected one named output0 or output, got feat\[1,2,3,4\]/);
  });

  it('refuses a batch size that differs from the frames sent', () => {
    expect(() => decodeYolov5([tensor('output0', [2, 4, 8], [])], config, [wideFrame])).toThrow(/batch is 2, but 1 frames/);
  });

  it('is reached through decodeDetections by format', () => {
    expect(decodeDetections([tensor('output0', [1, 4, 8], rows.flat())], config, [wideFrame])[0]).toHaveLength(2);
    expect(() => decodeDetections([], { ...config, format: 'segmentation' }, [wideFrame])).toThrow(/not a detector format/);
  });
});
