import { describe, expect, it } from 'vitest';
import { decodeSsd } from './ssd.ts';
import { decodeSsdNms } from './ssd-nms.ts';
import { tensor, wideFrame } from './test-tensors.ts';

const config = { classes: ['bottle', 'bag'], thresholds: { score: 0.3, iou: 0.45 } };

describe('decodeSsd', () => {
  const boxes = [0.25, 0.25, 0.5, 0.5, 0.26, 0.25, 0.5, 0.5, 0.6, 0.6, 0.9, 0.8, 0, 0, 0.1, 0.1];
  const scores = [0.1, 0.85, 0.05, 0.2, 0.7, 0.1, 0.3, 0.1, 0.6, 0.9, 0.05, 0.05];

  it('skips the background column, suppresses duplicates and maps normalised boxes to frame pixels', () => {
    const [dets] = decodeSsd([tensor('boxes', [1, 4, 4], boxes), tensor('scores', [1, 4, 3], scores)], config, [wideFrame]);
    expect(dets!.map((d) => [d.className, d.score])).toEqual([['bottle', expect.closeTo(0.85, 6)], ['bag', expect.closeTo(0.6, 6)]]);
    // (0.25 * 320 - 0) / 0.5 = 160; (0.25 * 320 - 80) / 0.5 = 0
    expect(dets![0]!.box).toEqual([160, 0, 320, 160]);
  });

  it('reads fp16 outputs', () => {
    const [dets] = decodeSsd([tensor('scores', [1, 4, 3], scores, 'FP16'), tensor('boxes', [1, 4, 4], boxes, 'FP16')], config, [wideFrame]);
    expect(dets).toHaveLength(2);
  });

  it('refuses scores without a background column: class ids would be off by one', () => {
    expect(() => decodeSsd([tensor('boxes', [1, 4, 4], boxes), tensor('scores', [1, 4, 2], [])], config, [wideFrame])).toThrow(/expected background \+ 2 classes = 3/);
  });

  it('refuses boxes and scores with different anchor counts', () => {
    expect(() => decodeSsd([tensor('boxes', [1, 4, 4], boxes), tensor('scores', [1, 5, 3], [])], config, [wideFrame])).toThrow(/do not match/);
  });
});

describe('decodeSsdNms', () => {
  const cfg = { classes: ['background', 'bottle', 'bag'], thresholds: { score: 0.3, iou: 0.45 } };

  it('reads post-NMS boxes/labels/scores with num_detections, dropping background and padding', () => {
    const outs = [
      tensor('boxes', [1, 3, 4], [0.25, 0.25, 0.5, 0.5, 0.6, 0.6, 0.9, 0.8, 0, 0, 1, 1]),
      tensor('scores', [1, 3], [0.9, 0.5, 0.99]),
      { name: 'labels', datatype: 'INT64', shape: [1, 3], data: Buffer.from(BigInt64Array.from([1n, 2n, 1n]).buffer) },
      tensor('num_detections', [1], [2]),
    ];
    const [dets] = decodeSsdNms(outs, cfg, [wideFrame]);
    expect(dets!.map((d) => [d.className, d.classId])).toEqual([['bottle', 1], ['bag', 2]]);
    expect(dets![0]!.box).toEqual([160, 0, 320, 160]);
  });

  it('reads pixel boxes (coordinates above 1) and labels without a batch dimension', () => {
    const outs = [tensor('boxes', [2, 4], [80, 80, 160, 160, 10, 100, 20, 110]), tensor('scores', [2], [0.9, 0.2]), tensor('labels', [2], [2, 1])];
    const [dets] = decodeSsdNms(outs, cfg, [wideFrame]);
    expect(dets!.map((d) => [d.className, d.box])).toEqual([['bag', [160, 0, 320, 160]]]);
  });

  it('drops label 0 ("background") and out-of-range labels rather than guessing a class', () => {
    const outs = [tensor('boxes', [1, 2, 4], [0, 0, 0.1, 0.1, 0, 0, 0.2, 0.2]), tensor('scores', [1, 2], [0.9, 0.9]), tensor('labels', [1, 2], [0, 7])];
    expect(decodeSsdNms(outs, cfg, [wideFrame])[0]).toEqual([]);
  });

  it('reads TensorFlow Object Detection API outputs (y first, float classes) with boxFormat y1x1y2x2', () => {
    const outs = [
      tensor('detection_boxes', [1, 1, 4], [0.25, 0.5, 0.5, 0.75]), // ymin, xmin, ymax, xmax
      tensor('detection_scores', [1, 1], [0.9]),
      tensor('detection_classes', [1, 1], [2]),
      tensor('num_detections', [1], [1]),
    ];
    const [dets] = decodeSsdNms(outs, { ...cfg, boxFormat: 'y1x1y2x2' }, [wideFrame]);
    // x: 0.5 * 320 / 0.5 = 320 .. 480; y: (0.25 * 320 - 80) / 0.5 = 0 .. 160
    expect(dets!.map((d) => [d.className, d.box])).toEqual([['bag', [320, 0, 480, 160]]]);
  });

  it('says which outputs disagree', () => {
    const outs = [tensor('boxes', [1, 3, 4], []), tensor('scores', [1, 2], []), tensor('labels', [1, 3], [])];
    expect(() => decodeSsdNms(outs, cfg, [wideFrame])).toThrow(/post-NMS outputs disagree/);
  });
});

describe('decodeSsd candidate cap', () => {
  it('keeps only the best maxCandidatesPerClass anchors of each class before NMS', () => {
    // Five disjoint bottle boxes scored 0.5..0.9: a cap of 2 keeps the two best.
    const boxes = Array.from({ length: 5 }, (_, i) => [i * 0.2, 0, i * 0.2 + 0.1, 0.1]).flat();
    const scores = Array.from({ length: 5 }, (_, i) => [0.5 - i * 0.1, 0.5 + i * 0.1, 0]).flat();
    const [dets] = decodeSsd([tensor('boxes', [1, 5, 4], boxes), tensor('scores', [1, 5, 3], scores)], config, [wideFrame], { maxCandidatesPerClass: 2 });
    expect(dets!.map((d) => +d.score.toFixed(2))).toEqual([0.9, 0.8]);
  });
});
