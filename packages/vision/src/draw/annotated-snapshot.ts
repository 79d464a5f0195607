import sharp from 'sharp';
import type { Detection } from '@riverwatch/common';
import { InvalidInputError } from '@riverwatch/common';
import type { WaterMask } from '../mask/water-mask.ts';
import { resizeMask } from '../mask/water-mask.ts';

export interface SnapshotOptions {
  mask?: WaterMask;
  /** Names by class id; a detection's own className wins when set. */
  classNames?: readonly string[];
  /** JPEG quality (default 85). */
  quality?: number;
}

/** One colour per class, distinct against water blues and browns. */
const PALETTE = ['#ff3b30', '#ffcc00', '#ff2d95', '#34c759', '#ff9500', '#af52de', '#ffffff', '#00e5ff'];
/** Water overlay: translucent cyan-blue. */
const WATER_RGBA = [0, 140, 255, 80] as const;

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function snapshotLabel(d: Detection, classNames?: readonly string[]): string {
  const name = d.className || classNames?.[d.classId] || `class ${d.classId}`;
  return `${d.trackId !== undefined ? `#${d.trackId} ` : ''}${name} ${d.score.toFixed(2)}`;
}

/** SVG with a box and a label per detection, sized to the frame. */
export function detectionsSvg(width: number, height: number, detections: readonly Detection[], classNames?: readonly string[]): string {
  const stroke = Math.max(3, Math.round(Math.min(width, height) / 240));
  const font = Math.max(11, Math.round(Math.min(width, height) / 40));
  const parts = detections.map((d) => {
    const colour = PALETTE[d.classId % PALETTE.length]!;
    const [x1, y1, x2, y2] = d.box.map((v) => Math.round(v * 10) / 10) as [number, number, number, number];
    const label = escapeXml(snapshotLabel(d, classNames));
    const ty = y1 - font - 4 >= 0 ? y1 - font - 4 : y2;
    const tw = Math.round(label.length * font * 0.6 + 6);
    return (
      `<rect x="${x1}" y="${y1}" width="${Math.max(1, x2 - x1)}" height="${Math.max(1, y2 - y1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<rect x="${x1}" y="${ty}" width="${tw}" height="${font + 4}" fill="${colour}" fill-opacity="0.85"/>` +
      `<text x="${x1 + 3}" y="${ty + font}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#000">${label}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

function maskOverlay(mask: WaterMask): Buffer {
  const rgba = Buffer.alloc(mask.width * mask.height * 4);
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    const o = i * 4;
    rgba[o] = WATER_RGBA[0];
    rgba[o + 1] = WATER_RGBA[1];
    rgba[o + 2] = WATER_RGBA[2];
    rgba[o + 3] = WATER_RGBA[3];
  }
  return rgba;
}

/** The frame with a translucent water overlay, boxes, class names, scores and track ids, as JPEG. */
export async function drawAnnotatedSnapshot(frameBytes: Uint8Array, detections: readonly Detection[], opts: SnapshotOptions = {}): Promise<Buffer> {
  let width: number, height: number;
  try {
    const meta = await sharp(frameBytes).metadata();
    if (!meta.width || !meta.height) throw new Error('no size');
    width = meta.width;
    height = meta.height;
  } catch (err) {
    throw new InvalidInputError(`snapshot frame is not a decodable image: ${(err as Error).message}`);
  }
  const layers: sharp.OverlayOptions[] = [];
  if (opts.mask) {
    const m = resizeMask(opts.mask, width, height);
    layers.push({ input: maskOverlay(m), raw: { width, height, channels: 4 }, left: 0, top: 0 });
  }
  if (detections.length) layers.push({ input: Buffer.from(detectionsSvg(width, height, detections, opts.classNames)), left: 0, top: 0 });
  // 4:4:4 chroma keeps thin coloured boxes crisp.
  return sharp(frameBytes).removeAlpha().composite(layers).jpeg({ quality: opts.quality ?? 85, chromaSubsampling: '4:4:4' }).toBuffer();
}
