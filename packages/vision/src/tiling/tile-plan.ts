import { checkTiling, type ModelConfig, type TilingConfig, type TilingOverride } from '@riverwatch/common';
import { computeTransform, type FrameTransform } from '../preprocess/frame-transform.ts';

/** A window of the frame that runs through the model on its own. */
export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The whole frame, letterboxed (the full-frame pass): its boxes are never cut by a tile edge. */
  whole: boolean;
}

/** How one frame is run: its tiles and, for each, where its model-input pixels land in the frame. */
export interface TilePlan {
  frameWidth: number;
  frameHeight: number;
  tiles: Tile[];
  transforms: FrameTransform[];
}

/** A frame at most this much larger than a tile runs whole: one more tile row for 10% is not worth it. */
const FITS_SLACK = 1.1;

/** The detector's tiling with a camera's override applied and checked; null when the model runs whole frames. */
export function resolveTiling(config: Pick<ModelConfig, 'tiling' | 'input'>, override?: TilingOverride): Required<TilingConfig> | null {
  const merged = { ...(config.tiling ?? { enabled: false, overlap: 0.2, fullFrame: true }), ...(override ?? {}) };
  if (!merged.enabled) return null;
  const t: Required<TilingConfig> = {
    enabled: true,
    tileWidth: merged.tileWidth ?? config.input.width,
    tileHeight: merged.tileHeight ?? config.input.height,
    overlap: merged.overlap ?? 0.2,
    fullFrame: merged.fullFrame ?? true,
  };
  checkTiling(t);
  return t;
}

/** Tile origins along one axis: evenly spread, first at 0 and last at the far edge, neighbours overlapping by at least `overlap`. */
function origins(frame: number, tile: number, overlap: number): number[] {
  if (tile >= frame) return [0];
  const step = tile * (1 - overlap);
  const n = Math.ceil((frame - tile) / step) + 1;
  return Array.from({ length: n }, (_, i) => Math.round((i * (frame - tile)) / (n - 1)));
}

/**
 * The tiles a frame is run as. Without tiling, or when the frame fits one tile or the
 * model's input, it is the whole frame, exactly as before tiling existed. Otherwise
 * overlapping tiles (row-major) plus, when asked, the whole frame last.
 *
 * Tiles exist so that a large frame is not shrunk. A tile smaller than the input is
 * enlarged into it, which helps the smallest debris, but only for frames that would
 * otherwise be shrunk: a frame that fits the input runs whole, so such a tile size does
 * not multiply the cost of small frames.
 */
export function planTiles(frameWidth: number, frameHeight: number, input: ModelConfig['input'], tiling: Required<TilingConfig> | null): TilePlan {
  const whole: Tile = { x: 0, y: 0, width: frameWidth, height: frameHeight, whole: true };
  const within = (w: number, h: number) => frameWidth <= w * FITS_SLACK && frameHeight <= h * FITS_SLACK;
  const fits = !tiling || within(tiling.tileWidth, tiling.tileHeight) || within(input.width, input.height);
  const tiles: Tile[] = [];
  if (fits) tiles.push(whole);
  else {
    const tw = Math.min(tiling.tileWidth, frameWidth);
    const th = Math.min(tiling.tileHeight, frameHeight);
    for (const y of origins(frameHeight, th, tiling.overlap)) {
      for (const x of origins(frameWidth, tw, tiling.overlap)) tiles.push({ x, y, width: tw, height: th, whole: false });
    }
    if (tiling.fullFrame) tiles.push(whole);
  }
  return { frameWidth, frameHeight, tiles, transforms: tiles.map((t) => tileTransform(t, frameWidth, frameHeight, input)) };
}

/**
 * The transform of a tile's model input to frame pixels: the tile's own letterbox,
 * shifted by the tile's origin (model = (frame - origin) * scale + pad), so the
 * decoders' toFrameBox maps tile boxes straight to frame pixels.
 */
export function tileTransform(tile: Tile, frameWidth: number, frameHeight: number, input: Pick<ModelConfig['input'], 'width' | 'height' | 'resize'>): FrameTransform {
  const t = computeTransform(tile.width, tile.height, input);
  return { ...t, frameWidth, frameHeight, padX: t.padX - tile.x * t.scaleX, padY: t.padY - tile.y * t.scaleY };
}
