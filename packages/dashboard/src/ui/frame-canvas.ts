import type { Detection, Point, Polygon, Zones } from '../api/types.ts';

export type ZoneKind = 'include' | 'exclude';

export interface FrameScene {
  image: ImageBitmap | null;
  /** Frame pixels: boxes and zones are in these coordinates. */
  width: number;
  height: number;
  detections: Detection[];
  /** Greyscale water mask (255 = water), any size: scaled to the frame. */
  mask: ImageBitmap | null;
  zones: Zones;
  draft: { kind: ZoneKind; points: Point[] } | null;
  selected: { kind: ZoneKind; index: number } | null;
  show: { boxes: boolean; mask: boolean; zones: boolean };
}

const CLASS_COLOURS = ['#ff5c5c', '#ffb020', '#3ddc97', '#4da3ff', '#c77dff', '#ff7ab6'];
const ZONE_COLOURS: Record<ZoneKind, string> = { include: '#3ddc97', exclude: '#ff5c5c' };

export function classColour(classId: number): string {
  return CLASS_COLOURS[Math.abs(classId) % CLASS_COLOURS.length]!;
}

/** The mask as a translucent blue layer, computed once per mask and size. */
const tinted = new WeakMap<ImageBitmap, HTMLCanvasElement>();
function waterLayer(mask: ImageBitmap, width: number, height: number): HTMLCanvasElement {
  const cached = tinted.get(mask);
  if (cached && cached.width === width && cached.height === height) return cached;
  const layer = document.createElement('canvas');
  layer.width = width;
  layer.height = height;
  const ctx = layer.getContext('2d')!;
  ctx.drawImage(mask, 0, 0, width, height);
  const pixels = ctx.getImageData(0, 0, width, height);
  const d = pixels.data;
  for (let i = 0; i < d.length; i += 4) {
    const water = d[i]! / 255;
    d[i] = 40;
    d[i + 1] = 140;
    d[i + 2] = 255;
    d[i + 3] = Math.round(water * 110);
  }
  ctx.putImageData(pixels, 0, 0);
  tinted.set(mask, layer);
  return layer;
}

function tracePolygon(ctx: CanvasRenderingContext2D, points: Polygon, close: boolean): void {
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  if (close) ctx.closePath();
}

/** Draws the frame with its layers; the canvas's pixel size is the frame's, CSS scales it. */
export function drawScene(canvas: HTMLCanvasElement, scene: FrameScene): void {
  if (canvas.width !== scene.width) canvas.width = scene.width;
  if (canvas.height !== scene.height) canvas.height = scene.height;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#05080c';
  ctx.fillRect(0, 0, scene.width, scene.height);
  if (scene.image) ctx.drawImage(scene.image, 0, 0, scene.width, scene.height);
  if (scene.show.mask && scene.mask) ctx.drawImage(waterLayer(scene.mask, scene.width, scene.height), 0, 0);
  // Frame pixels per CSS pixel: lines and labels stay readable on a small wall tile too.
  const px = canvas.clientWidth > 0 ? scene.width / canvas.clientWidth : 1;
  const line = Math.max(2 * px, scene.width / 320);
  const fontPx = Math.round(Math.max(12 * px, scene.width / 50));

  if (scene.show.zones) {
    for (const kind of ['include', 'exclude'] as const) {
      scene.zones[kind].forEach((polygon, index) => {
        const selected = scene.selected?.kind === kind && scene.selected.index === index;
        ctx.lineWidth = selected ? line * 2 : line;
        ctx.strokeStyle = ZONE_COLOURS[kind];
        ctx.fillStyle = kind === 'include' ? 'rgba(61,220,151,0.12)' : 'rgba(255,92,92,0.18)';
        ctx.setLineDash(kind === 'exclude' ? [line * 4, line * 3] : []);
        tracePolygon(ctx, polygon, true);
        ctx.fill();
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = ZONE_COLOURS[kind];
        for (const [x, y] of polygon) ctx.fillRect(x - line * 2, y - line * 2, line * 4, line * 4);
      });
    }
  }
  if (scene.draft && scene.draft.points.length) {
    ctx.lineWidth = line;
    ctx.strokeStyle = ZONE_COLOURS[scene.draft.kind];
    ctx.setLineDash([line * 2, line * 2]);
    tracePolygon(ctx, scene.draft.points, false);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#ffffff';
    for (const [x, y] of scene.draft.points) ctx.fillRect(x - line * 2, y - line * 2, line * 4, line * 4);
  }

  if (scene.show.boxes) {
    ctx.font = `${fontPx}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    for (const d of scene.detections) {
      const [x1, y1, x2, y2] = d.box;
      const colour = classColour(d.classId);
      ctx.lineWidth = line;
      ctx.strokeStyle = colour;
      ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
      const label = `${d.trackId ? `#${d.trackId} ` : ''}${d.className} ${Math.round(d.score * 100)}%`;
      const w = ctx.measureText(label).width + 6;
      const th = fontPx + 3 * px;
      const top = y1 - th < 0 ? y2 + th : y1;
      // Labels of boxes at the right edge move left to stay readable.
      const left = Math.max(0, Math.min(x1 - line / 2, scene.width - w));
      ctx.fillStyle = colour;
      ctx.fillRect(left, top - th, w, th);
      ctx.fillStyle = '#05080c';
      ctx.fillText(label, left + 3, top - 1);
    }
  }
}

/** Where a mouse event falls on the frame, in frame pixels. */
export function framePoint(canvas: HTMLCanvasElement, event: MouseEvent): Point {
  const rect = canvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * canvas.width;
  const y = ((event.clientY - rect.top) / rect.height) * canvas.height;
  return [Math.round(Math.min(canvas.width, Math.max(0, x))), Math.round(Math.min(canvas.height, Math.max(0, y)))];
}

/** How far one CSS pixel is in frame pixels (for hit distances that feel the same at any zoom). */
export function frameScale(canvas: HTMLCanvasElement): number {
  const rect = canvas.getBoundingClientRect();
  return rect.width > 0 ? canvas.width / rect.width : 1;
}
