import { ApiError, type ApiClient } from '../api/api-client.ts';
import type { LiveFrame, Zones } from '../api/types.ts';
import { drawScene, type FrameScene } from './frame-canvas.ts';

/**
 * A camera's newest processed frame on a canvas, with its boxes (and optionally the water mask
 * and zones). `refresh()` fetches the picture only when the worker has committed a new frame.
 */
export class LiveFrameView {
  readonly canvas: HTMLCanvasElement;
  readonly scene: FrameScene = {
    image: null,
    width: 640,
    height: 360,
    detections: [],
    mask: null,
    zones: { include: [], exclude: [] },
    draft: null,
    selected: null,
    show: { boxes: true, mask: false, zones: false },
  };
  frame: LiveFrame | null = null;
  /** A refresh still running: the next tick skips rather than fetching the same frame twice. */
  private loading = false;

  constructor(
    private readonly api: ApiClient,
    private readonly cameraId: string,
    private readonly onFrame: (frame: LiveFrame | null) => void = () => {},
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'frame';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'the newest processed frame with the debris found on the water');
    this.canvas.dataset.frameId = '';
    this.redraw();
  }

  async refresh(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      await this.load();
    } finally {
      this.loading = false;
    }
  }

  private async load(): Promise<void> {
    let frame = await this.latest();
    if (!frame || frame.frameId === this.frame?.frameId) return;
    // The boxes and the picture are two requests: a frame committed between them would put one
    // frame's boxes on the next one's picture (drifting debris shows it). Keep them paired.
    let picture = await this.picture(frame.imageUrl);
    if (picture.frameId !== frame.frameId) {
      frame = await this.latest();
      if (!frame || picture.frameId !== frame.frameId) {
        picture.image.close();
        return; // the next tick tries again
      }
    }
    this.scene.image?.close();
    Object.assign(this.scene, { image: picture.image, width: frame.width, height: frame.height, detections: frame.detections });
    this.frame = frame;
    this.redraw();
    // Set after drawing: tests and screenshots wait for it.
    this.canvas.dataset.frameId = frame.frameId;
    this.onFrame(frame);
  }

  /** The newest frame's detections; null (and the view says so) when there is none. */
  private async latest(): Promise<LiveFrame | null> {
    try {
      return await this.api.json<LiveFrame>(`/v1/cameras/${this.cameraId}/frame`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      this.frame = null;
      this.onFrame(null);
      return null;
    }
  }

  private async picture(url: string): Promise<{ frameId: string; image: ImageBitmap }> {
    const res = await this.api.request(url);
    return { frameId: res.headers.get('x-frame-id') ?? '', image: await createImageBitmap(await res.blob()) };
  }

  /** The current water mask (white = water); none before the first segmentation. */
  async loadMask(): Promise<boolean> {
    try {
      const mask = await this.api.bitmap(`/v1/cameras/${this.cameraId}/mask.png`);
      this.scene.mask?.close();
      this.scene.mask = mask;
      this.redraw();
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    }
  }

  setZones(zones: Zones): void {
    this.scene.zones = zones;
    this.redraw();
  }

  redraw(): void {
    drawScene(this.canvas, this.scene);
  }

  dispose(): void {
    this.scene.image?.close();
    this.scene.mask?.close();
  }
}
