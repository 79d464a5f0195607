import { describe, expect, it } from 'vitest';
import type { Detection } from '@riverwatch/common';
import { mergeTileDetections } from './tile-merge.ts';
import type { Tile } from './tile-plan.ts';

const det = (box: [number, number, number, number], score: number, classId = 0): Detection => ({ classId, className: ['bottle', 'bag'][classId]!, score, box });
// Two tiles side by side over a 1000x400 frame, overlapping on x 400-600, and the whole frame.
const left: Tile = { x: 0, y: 0, width: 600, height: 400, whole: false };
const right: Tile = { x: 400, y: 0, width: 600, height: 400, whole: false };
const whole: Tile = { x: 0, y: 0, width: 1000, height: 400, whole: true };
const merge = (perTile: Detection[][], tiles: Tile[] = [left, right], agnostic = false) => mergeTileDetections(perTile, tiles, 1000, 400, { iouThreshold: 0.45, agnostic });

describe('mergeTileDetections', () => {
  it('keeps one box for an object both tiles saw whole (the higher score)', () => {
    const out = merge([[det([450, 100, 480, 120], 0.9)], [det([451, 101, 481, 121], 0.7)]]);
    expect(out).toEqual([det([450, 100, 480, 120], 0.9)]);
  });

  it('joins the two halves of an object cut at facing tile edges into their union', () => {
    // A 300 px log from x 350 to 650: the left tile sees 350-600 (cut on its right edge),
    // the right tile sees 400-650 (cut on its left edge).
    const out = merge([[det([350, 200, 600, 230], 0.6)], [det([400, 198, 650, 232], 0.8)]]);
    expect(out).toEqual([det([350, 198, 650, 232], 0.8)]);
  });

  it('drops a cut fragment that lies inside a box the full-frame pass saw whole', () => {
    const out = merge([[det([300, 50, 600, 150], 0.5)], [], [det([300, 50, 700, 150], 0.8)]], [left, right, whole]);
    expect(out).toEqual([det([300, 50, 700, 150], 0.8)]);
  });

  it('keeps neighbours in a dense raft apart, even touching each other at a tile edge', () => {
    const raft = [det([500, 100, 520, 120], 0.9), det([521, 100, 541, 120], 0.85), det([542, 101, 560, 121], 0.8)];
    const out = merge([raft, raft.map((d) => ({ ...d, score: d.score - 0.1 }))]);
    expect(out.map((d) => d.box)).toEqual(raft.map((d) => d.box));
  });

  it('does not join halves of different classes unless agnostic', () => {
    const perTile = [[det([350, 200, 600, 230], 0.6, 0)], [det([400, 198, 650, 232], 0.8, 1)]];
    expect(merge(perTile)).toHaveLength(2);
    expect(merge(perTile, [left, right], true)).toEqual([det([350, 198, 650, 232], 0.8, 1)]);
  });

  it('does not treat a box at the frame border as cut (only inner tile edges cut objects)', () => {
    // Touches the left tile's left edge, which is the frame's edge: a whole object there.
    const out = merge([[det([0, 10, 30, 40], 0.9), det([2, 12, 14, 24], 0.5)], []]);
    expect(out).toHaveLength(2);
  });

  it('joins an object over four tiles', () => {
    const tl: Tile = { x: 0, y: 0, width: 600, height: 300, whole: false };
    const tr: Tile = { x: 400, y: 0, width: 600, height: 300, whole: false };
    const bl: Tile = { x: 0, y: 200, width: 600, height: 300, whole: false };
    const br: Tile = { x: 400, y: 200, width: 600, height: 300, whole: false };
    const perTile = [[det([350, 150, 600, 300], 0.9)], [det([400, 150, 650, 300], 0.8)], [det([350, 200, 600, 350], 0.7)], [det([400, 200, 650, 350], 0.6)]];
    const out = mergeTileDetections(perTile, [tl, tr, bl, br], 1000, 500, { iouThreshold: 0.45 });
    expect(out).toEqual([det([350, 150, 650, 350], 0.9)]);
  });

  it('passes a single whole-frame tile through and refuses mismatched lists', () => {
    const dets = [det([1, 1, 5, 5], 0.3)];
    expect(mergeTileDetections([dets], [whole], 1000, 400, { iouThreshold: 0.45 })).toEqual(dets);
    expect(() => mergeTileDetections([dets], [left, right], 1000, 400, { iouThreshold: 0.45 })).toThrow(/2 tiles/);
  });
});
