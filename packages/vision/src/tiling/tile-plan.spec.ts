import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '@riverwatch/common';
import { toFrameBox } from '../preprocess/frame-transform.ts';
import { planTiles, resolveTiling } from './tile-plan.ts';

const input = { name: 'images', dtype: 'UINT8', layout: 'NCHW', width: 640, height: 384, colorOrder: 'RGB', resize: 'letterbox', padValue: 114, normalize: { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] } } as ModelConfig['input'];
const tiling = { enabled: true, tileWidth: 640, tileHeight: 384, overlap: 0.2, fullFrame: true };

describe('resolveTiling', () => {
  it('is null when the model does not tile, and a camera can turn it on or off', () => {
    expect(resolveTiling({ input })).toBeNull();
    expect(resolveTiling({ input, tiling })).toEqual(tiling);
    expect(resolveTiling({ input, tiling }, { enabled: false })).toBeNull();
    expect(resolveTiling({ input }, { enabled: true })).toEqual({ enabled: true, tileWidth: 640, tileHeight: 384, overlap: 0.2, fullFrame: true });
  });

  it('tile size defaults to the model input (native resolution); a camera overrides single fields', () => {
    expect(resolveTiling({ input, tiling: { enabled: true, overlap: 0.25, fullFrame: false } }, { tileWidth: 960 })).toEqual({ enabled: true, tileWidth: 960, tileHeight: 384, overlap: 0.25, fullFrame: false });
  });

  it('refuses settings that cannot work, naming the field', () => {
    expect(() => resolveTiling({ input, tiling }, { overlap: 0.9 })).toThrow(/tiling\.overlap/);
    expect(() => resolveTiling({ input, tiling }, { tileWidth: 10 })).toThrow(/tiling\.tileWidth/);
    expect(() => resolveTiling({ input, tiling }, { tileHeight: 100.5 })).toThrow(/tiling\.tileHeight/);
  });
});

describe('planTiles', () => {
  it('runs a frame that fits one tile whole, exactly as without tiling', () => {
    for (const [w, h] of [
      [640, 360],
      [700, 400],
    ] as const) {
      const plan = planTiles(w, h, input, tiling);
      expect(plan.tiles).toEqual([{ x: 0, y: 0, width: w, height: h, whole: true }]);
      expect(planTiles(w, h, input, null)).toEqual(plan);
    }
  });

  it('covers a 1280x720 frame with native-size tiles overlapping by at least the overlap, plus the full frame', () => {
    const plan = planTiles(1280, 720, input, tiling);
    const tiles = plan.tiles.filter((t) => !t.whole);
    expect(new Set(tiles.map((t) => t.x))).toEqual(new Set([0, 320, 640]));
    expect(new Set(tiles.map((t) => t.y))).toEqual(new Set([0, 168, 336]));
    expect(tiles.every((t) => t.width === 640 && t.height === 384)).toBe(true);
    expect(plan.tiles.at(-1)).toEqual({ x: 0, y: 0, width: 1280, height: 720, whole: true });
    // Every pixel is in some tile; neighbours overlap by >= 20% of a tile.
    for (const [x, y] of [
      [0, 0],
      [1279, 719],
      [639, 383],
      [960, 500],
    ] as const) {
      expect(tiles.some((t) => x >= t.x && x < t.x + t.width && y >= t.y && y < t.y + t.height)).toBe(true);
    }
    const xs = [...new Set(tiles.map((t) => t.x))].sort((a, b) => a - b);
    const ys = [...new Set(tiles.map((t) => t.y))].sort((a, b) => a - b);
    for (let k = 1; k < xs.length; k++) expect(xs[k - 1]! + 640 - xs[k]!).toBeGreaterThanOrEqual(0.2 * 640);
    for (let k = 1; k < ys.length; k++) expect(ys[k - 1]! + 384 - ys[k]!).toBeGreaterThanOrEqual(0.2 * 384);
  });

  it('leaves the full-frame pass out when asked, and tiles a 1920x1080 frame 4x4', () => {
    const plan = planTiles(1920, 1080, input, { ...tiling, fullFrame: false });
    expect(plan.tiles).toHaveLength(16);
    expect(plan.tiles.some((t) => t.whole)).toBe(false);
  });

  it("maps a tile's model-input box to the frame: at native size a tile box is shifted by the tile's origin", () => {
    const plan = planTiles(1280, 720, input, tiling);
    const i = plan.tiles.findIndex((t) => t.x === 640 && t.y === 336);
    expect(toFrameBox(plan.transforms[i]!, [10, 20, 30, 40])).toEqual([650, 356, 670, 376]);
    // The full-frame pass is letterboxed: 1280x720 at scale 0.5 into 640x384, 12 rows of padding.
    const whole = plan.transforms.at(-1)!;
    expect(toFrameBox(whole, [10, 22, 30, 42])).toEqual([20, 20, 60, 60]);
  });

  it('enlarges a tile smaller than the input into it, and runs a frame that fits the input whole whatever the tile size', () => {
    const small = { ...tiling, tileWidth: 512, tileHeight: 308 };
    const plan = planTiles(1280, 720, input, small);
    // The same 3x3 + 1 inputs as native tiles on 1280x720, each enlarged 1.25x.
    expect(plan.tiles).toHaveLength(10);
    expect(new Set(plan.tiles.filter((t) => !t.whole).map((t) => t.x))).toEqual(new Set([0, 384, 768]));
    expect(plan.transforms[0]!.scaleX).toBeCloseTo(1.25);
    expect(toFrameBox(plan.transforms[0]!, [0, 0, 20, 20])[3]).toBeCloseTo(16, 0);
    expect(planTiles(640, 360, input, small).tiles).toEqual([{ x: 0, y: 0, width: 640, height: 360, whole: true }]);
    expect(planTiles(960, 540, input, small).tiles.length).toBeGreaterThan(1);
  });

  it('scales a tile larger than the input down into it', () => {
    const plan = planTiles(1920, 1080, input, { ...tiling, tileWidth: 960, tileHeight: 576, fullFrame: false });
    const t = plan.transforms[0]!;
    expect(t.scaleX).toBeCloseTo(640 / 960);
    expect(toFrameBox(t, [0, 0, 64, 38.4])[2]).toBeCloseTo(96);
  });
});
