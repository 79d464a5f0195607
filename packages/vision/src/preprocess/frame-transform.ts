import type { ModelConfig } from '@riverwatch/common';

/**
 * How a frame was placed into the model input: model = frame * scale + pad.
 * Plain data, so it crosses worker_threads and job payloads unchanged.
 */
export interface FrameTransform {
  frameWidth: number;
  frameHeight: number;
  inputWidth: number;
  inputHeight: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  /** Size of the resized frame inside the input (the rest is padding). */
  resizedWidth: number;
  resizedHeight: number;
}

/**
 * Letterbox follows YOLOv5's letterbox(auto=False) and the training kit:
 * r = min(W/w, H/h), resized size rounded, padding floor-centred.
 */
export function computeTransform(frameWidth: number, frameHeight: number, input: Pick<ModelConfig['input'], 'width' | 'height' | 'resize'>): FrameTransform {
  const { width: W, height: H } = input;
  if (input.resize === 'stretch') {
    return { frameWidth, frameHeight, inputWidth: W, inputHeight: H, scaleX: W / frameWidth, scaleY: H / frameHeight, padX: 0, padY: 0, resizedWidth: W, resizedHeight: H };
  }
  const r = Math.min(W / frameWidth, H / frameHeight);
  const rw = Math.max(1, Math.round(frameWidth * r));
  const rh = Math.max(1, Math.round(frameHeight * r));
  return {
    frameWidth,
    frameHeight,
    inputWidth: W,
    inputHeight: H,
    // The exact ratio of the rounded size, so pixel edges map back exactly.
    scaleX: rw / frameWidth,
    scaleY: rh / frameHeight,
    padX: Math.floor((W - rw) / 2),
    padY: Math.floor((H - rh) / 2),
    resizedWidth: rw,
    resizedHeight: rh,
  };
}

/** Frame pixels to themselves: for boxes already in the frame (a frame request's answer). */
export function identityTransform(frameWidth: number, frameHeight: number): FrameTransform {
  return { frameWidth, frameHeight, inputWidth: frameWidth, inputHeight: frameHeight, scaleX: 1, scaleY: 1, padX: 0, padY: 0, resizedWidth: frameWidth, resizedHeight: frameHeight };
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** A box in model-input pixels to frame pixels, clipped to the frame. */
export function toFrameBox(t: FrameTransform, box: readonly number[]): [number, number, number, number] {
  return [
    clamp((box[0]! - t.padX) / t.scaleX, 0, t.frameWidth),
    clamp((box[1]! - t.padY) / t.scaleY, 0, t.frameHeight),
    clamp((box[2]! - t.padX) / t.scaleX, 0, t.frameWidth),
    clamp((box[3]! - t.padY) / t.scaleY, 0, t.frameHeight),
  ];
}

/** A box in frame pixels to model-input pixels. */
export function toModelBox(t: FrameTransform, box: readonly number[]): [number, number, number, number] {
  return [box[0]! * t.scaleX + t.padX, box[1]! * t.scaleY + t.padY, box[2]! * t.scaleX + t.padX, box[3]! * t.scaleY + t.padY];
}

export function toFramePoint(t: FrameTransform, x: number, y: number): [number, number] {
  return [(x - t.padX) / t.scaleX, (y - t.padY) / t.scaleY];
}
