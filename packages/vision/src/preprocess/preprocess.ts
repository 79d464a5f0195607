import sharp from 'sharp';
import { InvalidInputError, type ModelConfig } from '@riverwatch/common';
import { decodeFrame, MAX_FRAME_PIXELS } from './frame.ts';
import { computeTransform, type FrameTransform } from './frame-transform.ts';
import { inputShape, packTensor } from './pack-tensor.ts';

export interface PreprocessedFrame {
  /** Raw little-endian bytes in the model's input dtype. */
  tensor: Buffer;
  shape: number[];
  transform: FrameTransform;
}

export interface PreprocessedBatch {
  tensor: Buffer;
  shape: number[];
  transforms: FrameTransform[];
}

/** Bytes of one frame in the model's input tensor. */
export function bytesPerInput(input: ModelConfig['input']): number {
  return input.width * input.height * 3 * (input.dtype === 'FP32' ? 4 : input.dtype === 'FP16' ? 2 : 1);
}

/** Default letterbox grey, YOLOv5's. */
export const DEFAULT_PAD_VALUE = 114;

/**
 * Resizes a frame into the model's input as RGB HWC uint8 (sharp works off the
 * event loop). Bilinear, like the training kit's cv2.INTER_LINEAR.
 */
export async function resizeForModel(bytes: Uint8Array, input: ModelConfig['input']): Promise<{ rgb: Buffer; transform: FrameTransform }> {
  const info = await decodeFrame(bytes);
  const transform = computeTransform(info.width, info.height, input);
  const pad = input.padValue ?? DEFAULT_PAD_VALUE;
  let img = sharp(bytes, { limitInputPixels: MAX_FRAME_PIXELS, failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(transform.resizedWidth, transform.resizedHeight, { fit: 'fill', kernel: 'linear' });
  if (input.resize === 'letterbox') {
    img = img.extend({
      left: transform.padX,
      top: transform.padY,
      right: input.width - transform.resizedWidth - transform.padX,
      bottom: input.height - transform.resizedHeight - transform.padY,
      background: { r: pad, g: pad, b: pad, alpha: 1 },
    });
  }
  try {
    const { data, info: out } = await img.raw().toBuffer({ resolveWithObject: true });
    if (out.width !== input.width || out.height !== input.height || out.channels !== 3) {
      throw new Error(`resized to ${out.width}x${out.height}x${out.channels}, expected ${input.width}x${input.height}x3`);
    }
    return { rgb: data, transform };
  } catch (err) {
    throw new InvalidInputError(`frame could not be decoded: ${(err as Error).message}`);
  }
}

/** One frame to the model's input tensor, and the transform back to frame pixels. */
export async function preprocess(bytes: Uint8Array, config: Pick<ModelConfig, 'input'>): Promise<PreprocessedFrame> {
  const { rgb, transform } = await resizeForModel(bytes, config.input);
  return { tensor: packTensor(rgb, config.input), shape: inputShape(config.input, 1), transform };
}

/** Several frames (any sizes) into one batch tensor [N, ...]. */
export async function preprocessBatch(frames: Uint8Array[], config: Pick<ModelConfig, 'input'>): Promise<PreprocessedBatch> {
  if (frames.length === 0) throw new InvalidInputError('preprocessBatch: no frames');
  const resized = await Promise.all(frames.map((f) => resizeForModel(f, config.input)));
  const per = bytesPerInput(config.input);
  const tensor = Buffer.allocUnsafeSlow(per * frames.length);
  resized.forEach((r, i) => packTensor(r.rgb, config.input, tensor.subarray(i * per, (i + 1) * per)));
  return { tensor, shape: inputShape(config.input, frames.length), transforms: resized.map((r) => r.transform) };
}
