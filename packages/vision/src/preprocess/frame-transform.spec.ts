import { describe, expect, it } from 'vitest';
import { computeTransform, toFrameBox, toFramePoint, toModelBox } from './frame-transform.ts';

describe('letterbox transform', () => {
  it('places a 16:9 frame centred in a square input, like YOLOv5', () => {
    const t = computeTransform(1920, 1080, { width: 640, height: 640, resize: 'letterbox' });
    expect(t.resizedWidth).toBe(640);
    expect(t.resizedHeight).toBe(360);
    expect(t.padX).toBe(0);
    expect(t.padY).toBe(140);
  });

  it('floors odd padding (training kit: (size - nh) // 2)', () => {
    const t = computeTransform(640, 359, { width: 320, height: 320, resize: 'letterbox' });
    expect(t.resizedHeight).toBe(180); // round(359 * 0.5) = 180 (179.5 rounds up)
    expect(t.padY).toBe(70);
  });

  it('round-trips boxes between frame and model pixels', () => {
    for (const [w, h] of [[1920, 1080], [640, 480], [333, 777], [100, 100]] as const) {
      const t = computeTransform(w, h, { width: 416, height: 320, resize: 'letterbox' });
      const box = [w * 0.1, h * 0.2, w * 0.7, h * 0.9];
      const back = toFrameBox(t, toModelBox(t, box));
      back.forEach((v, i) => expect(v).toBeCloseTo(box[i]!, 6));
    }
  });

  it('maps the resized image edges to the frame edges', () => {
    const t = computeTransform(1280, 720, { width: 320, height: 320, resize: 'letterbox' });
    expect(toFramePoint(t, t.padX, t.padY)).toEqual([0, 0]);
    const [x, y] = toFramePoint(t, t.padX + t.resizedWidth, t.padY + t.resizedHeight);
    expect(x).toBeCloseTo(1280, 9);
    expect(y).toBeCloseTo(720, 9);
  });

  it('clips boxes that reach into the padding to the frame', () => {
    const t = computeTransform(640, 360, { width: 320, height: 320, resize: 'letterbox' });
    expect(toFrameBox(t, [-5, 0, 400, 330])).toEqual([0, 0, 640, 360]);
  });

  it('stretch scales each axis on its own with no padding', () => {
    const t = computeTransform(640, 360, { width: 300, height: 300, resize: 'stretch' });
    expect([t.padX, t.padY]).toEqual([0, 0]);
    const box = [64, 36, 320, 180];
    expect(toModelBox(t, box)).toEqual([30, 30, 150, 150]);
    toFrameBox(t, [30, 30, 150, 150]).forEach((v, i) => expect(v).toBeCloseTo(box[i]!, 9));
  });
});
