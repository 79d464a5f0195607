import type { Detection } from '@riverwatch/common';
import { boxArea, iou, type Box } from '../decode/box.ts';
import type { Tile } from './tile-plan.ts';

export interface TileMergeOptions {
  /** Boxes of one object from two tiles overlap by more than this IoU (the model's NMS IoU). */
  iouThreshold: number;
  /** Merge across classes (one box per object whatever its class). */
  agnostic?: boolean;
  maxDetections?: number;
  /** A box edge this close (frame pixels) to an inner tile edge counts as cut by it (default 2). */
  edgeMargin?: number;
}

/** Which sides of a box a tile edge cut (the tile saw only part of the object). */
interface Cut {
  left: boolean;
  top: boolean;
  right: boolean;
  bottom: boolean;
}

interface Candidate {
  det: Detection;
  box: number[];
  cut: Cut;
}

/** A fragment inside another box by at least this share of its own area is that object. */
const FRAGMENT_INSIDE = 0.6;
/** Two halves cut at facing edges are joined when their extents across the cut overlap this much. */
const JOIN_OVERLAP = 0.5;

function cutSides(box: readonly number[], tile: Tile, frameWidth: number, frameHeight: number, margin: number): Cut {
  if (tile.whole) return { left: false, top: false, right: false, bottom: false };
  return {
    left: tile.x > 0 && box[0]! <= tile.x + margin,
    top: tile.y > 0 && box[1]! <= tile.y + margin,
    right: tile.x + tile.width < frameWidth && box[2]! >= tile.x + tile.width - margin,
    bottom: tile.y + tile.height < frameHeight && box[3]! >= tile.y + tile.height - margin,
  };
}

const isCut = (c: Cut) => c.left || c.top || c.right || c.bottom;

/** Overlap of two 1-D extents over the shorter one. */
function extentOverlap(a0: number, a1: number, b0: number, b1: number): number {
  const inter = Math.min(a1, b1) - Math.max(a0, b0);
  const shorter = Math.min(a1 - a0, b1 - b0);
  return inter > 0 && shorter > 0 ? inter / shorter : 0;
}

/** Two parts of one object cut by tile edges on facing sides, overlapping across the cut: one object. */
function joinable(a: Candidate, b: Candidate): boolean {
  const ab = a.box, bb = b.box;
  const horizontal = ((a.cut.right && b.cut.left) || (a.cut.left && b.cut.right)) && extentOverlap(ab[0]!, ab[2]!, bb[0]!, bb[2]!) > 0 && extentOverlap(ab[1]!, ab[3]!, bb[1]!, bb[3]!) >= JOIN_OVERLAP;
  const vertical = ((a.cut.bottom && b.cut.top) || (a.cut.top && b.cut.bottom)) && extentOverlap(ab[1]!, ab[3]!, bb[1]!, bb[3]!) > 0 && extentOverlap(ab[0]!, ab[2]!, bb[0]!, bb[2]!) >= JOIN_OVERLAP;
  return horizontal || vertical;
}

/** Intersection over the smaller box's area. */
function intersectionOverSmaller(a: Box, b: Box): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const smaller = Math.min(boxArea(a), boxArea(b));
  return smaller > 0 ? (w * h) / smaller : 0;
}

/**
 * Merges the detections of a frame's tiles (in frame pixels, one list per tile, in the
 * plan's tile order) into one list for the frame, highest score first.
 *
 * Greedy, best score first: a lower-scored box is the same object as a kept one when
 *  - they overlap by more than the NMS IoU (the same object seen by two tiles), or
 *  - either was cut by a tile edge and the smaller lies mostly inside the other (a
 *    fragment of an object another tile or the full-frame pass saw whole), or
 *  - both were cut, on facing sides, and overlap across the cut (an object larger than
 *    the tiles' overlap, split between them): the two are joined into their union.
 * Otherwise it is another object, however close: dense rafts of debris stay separate.
 */
export function mergeTileDetections(perTile: readonly Detection[][], tiles: readonly Tile[], frameWidth: number, frameHeight: number, opts: TileMergeOptions): Detection[] {
  if (perTile.length !== tiles.length) throw new RangeError(`mergeTileDetections: ${perTile.length} detection lists for ${tiles.length} tiles`);
  if (tiles.length === 1) return perTile[0]!.slice(0, opts.maxDetections ?? 300);
  const margin = opts.edgeMargin ?? 2;
  const candidates: Candidate[] = perTile.flatMap((dets, t) => dets.map((det) => ({ det, box: [...det.box], cut: cutSides(det.box, tiles[t]!, frameWidth, frameHeight, margin) })));
  candidates.sort((a, b) => b.det.score - a.det.score);
  const used = new Uint8Array(candidates.length);
  const out: Detection[] = [];
  const max = opts.maxDetections ?? 300;
  for (let i = 0; i < candidates.length && out.length < max; i++) {
    if (used[i]) continue;
    const keep = candidates[i]!;
    // A joined box can reach further fragments (an object over four tiles): repeat until stable.
    for (let grew = true; grew; ) {
      grew = false;
      for (let j = i + 1; j < candidates.length; j++) {
        if (used[j]) continue;
        const other = candidates[j]!;
        if (!opts.agnostic && other.det.classId !== keep.det.classId) continue;
        if (joinable(keep, other)) {
          keep.box = [Math.min(keep.box[0]!, other.box[0]!), Math.min(keep.box[1]!, other.box[1]!), Math.max(keep.box[2]!, other.box[2]!), Math.max(keep.box[3]!, other.box[3]!)];
          // The joined box is cut only where either part still is on its outer side.
          keep.cut = {
            left: keep.box[0] === other.box[0] ? other.cut.left : keep.cut.left,
            top: keep.box[1] === other.box[1] ? other.cut.top : keep.cut.top,
            right: keep.box[2] === other.box[2] ? other.cut.right : keep.cut.right,
            bottom: keep.box[3] === other.box[3] ? other.cut.bottom : keep.cut.bottom,
          };
          used[j] = 1;
          grew = true;
        } else if (iou(keep.box, other.box) > opts.iouThreshold || ((isCut(keep.cut) || isCut(other.cut)) && intersectionOverSmaller(keep.box, other.box) >= FRAGMENT_INSIDE)) {
          used[j] = 1;
        }
      }
    }
    out.push({ ...keep.det, box: keep.box as Detection['box'] });
  }
  return out;
}
