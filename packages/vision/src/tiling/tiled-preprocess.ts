import sharp from 'sharp';
import { InvalidInputError, type ModelConfig, type TilingConfig } from '@riverwatch/common';
import { decodeRgb } from '../preprocess/frame.ts';
import { inputShape, packTensor } from '../preprocess/pack-tensor.ts';
import { bytesPerInput, DEFAULT_PAD_VALUE, resizeForModel, type PreprocessedBatch } from '../preprocess/preprocess.ts';
import { planTiles, type TilePlan } from './tile-plan.ts';

/** A frame as a batch of tiles: one tensor [tiles, ...], the plan that maps each back to the frame. */
export interface PreprocessedTiles extends PreprocessedBatch {
  plan: TilePlan;
}

/**
 * One frame to the detector's input batch: the whole frame (exactly `preprocess`'s
 * result) when it fits one tile or tiling is off, else every tile of the plan. The
 * frame is decoded once; each tile is cut from the decoded pixels and letterboxed
 * like a frame of its own (bilinear, as the training kit).
 */
export async function preprocessTiles(bytes: Uint8Array, config: Pick<ModelConfig, 'input'>, tiling: Required<TilingConfig> | null): Promise<PreprocessedTiles> {
  const { input } = config;
  if (!tiling) {
    const { rgb, transform } = await resizeForModel(bytes, input);
    const plan: TilePlan = { frameWidth: transform.frameWidth, frameHeight: transform.frameHeight, tiles: [{ x: 0, y: 0, width: transform.frameWidth, height: transform.frameHeight, whole: true }], transforms: [transform] };
    return { tensor: packTensor(rgb, input), shape: inputShape(input, 1), transforms: [transform], plan };
  }
  const frame = await decodeRgb(bytes);
  const plan = planTiles(frame.width, frame.height, input, tiling);
  const per = bytesPerInput(input);
  const tensor = Buffer.allocUnsafeSlow(per * plan.tiles.length);
  const pad = input.padValue ?? DEFAULT_PAD_VALUE;
  const raw = { width: frame.width, height: frame.height, channels: 3 as const };
  await Promise.all(
    plan.tiles.map(async (tile, i) => {
      const t = plan.transforms[i]!;
      // Transform of the tile alone: its own resize and letterbox padding.
      const padX = Math.round(t.padX + tile.x * t.scaleX);
      const padY = Math.round(t.padY + tile.y * t.scaleY);
      let img = sharp(frame.data, { raw }).extract({ left: tile.x, top: tile.y, width: tile.width, height: tile.height });
      if (t.resizedWidth !== tile.width || t.resizedHeight !== tile.height) img = img.resize(t.resizedWidth, t.resizedHeight, { fit: 'fill', kernel: 'linear' });
      if (input.resize === 'letterbox' && (t.resizedWidth !== input.width || t.resizedHeight !== input.height)) {
        img = img.extend({ left: padX, top: padY, right: input.width - t.resizedWidth - padX, bottom: input.height - t.resizedHeight - padY, background: { r: pad, g: pad, b: pad, alpha: 1 } });
      }
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      if (info.width !== input.width || info.height !== input.height || info.channels !== 3) {
        throw new InvalidInputError(`tile ${i} resized to ${info.width}x${info.height}x${info.channels}, expected ${input.width}x${input.height}x3`);
      }
      packTensor(data, input, tensor.subarray(i * per, (i + 1) * per));
    }),
  );
  return { tensor, shape: inputShape(input, plan.tiles.length), transforms: plan.transforms, plan };
}

/** Splits a batch into runs of at most `max` inputs (views, no copies): a model's maxBatchSize. */
export function splitBatch(batch: Pick<PreprocessedBatch, 'tensor' | 'shape'>, max: number): { tensor: Buffer; shape: number[]; first: number }[] {
  const n = batch.shape[0]!;
  const size = Math.max(1, max);
  const per = batch.tensor.byteLength / n;
  const out: { tensor: Buffer; shape: number[]; first: number }[] = [];
  for (let i = 0; i < n; i += size) {
    const k = Math.min(size, n - i);
    out.push({ tensor: batch.tensor.subarray(i * per, (i + k) * per), shape: [k, ...batch.shape.slice(1)], first: i });
  }
  return out;
}
