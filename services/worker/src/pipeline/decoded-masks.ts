import { maskFromPng, type WaterMask } from '@riverwatch/vision';

/**
 * Each camera's water mask, decoded, in this worker process. Redis keeps the mask as a PNG
 * (shared by all replicas); fetching it costs its bytes through Redis, decoding it ~2.5 ms
 * of CPU, and box overlaps need its integral image (cached per mask object), so a frame
 * that reuses the camera's mask should pay for none of them again. Entries are keyed by the
 * mask's capture time and version, so a mask another replica re-segmented replaces this one;
 * least recently used cameras go first.
 */
export class DecodedMasks {
  private readonly byCamera = new Map<string, { at: number; version: string; mask: WaterMask }>();

  constructor(
    private readonly maxCameras = 128,
    private readonly decode: (png: Uint8Array) => Promise<WaterMask> = maskFromPng,
  ) {}

  /**
   * The mask Redis describes (capture time, version, size), decoded. Its PNG is fetched
   * (`loadPng`) only when this process does not hold that mask already; null when the PNG
   * is gone by then.
   */
  async get(cameraId: string, stored: { at: number; version: string; width: number; height: number }, loadPng: () => Promise<Uint8Array | null>): Promise<WaterMask | null> {
    const hit = this.byCamera.get(cameraId);
    if (hit && hit.at === stored.at && hit.version === stored.version && hit.mask.width === stored.width && hit.mask.height === stored.height) {
      this.remember(cameraId, hit.at, hit.version, hit.mask);
      return hit.mask;
    }
    const png = await loadPng();
    if (!png) return null;
    const mask = await this.decode(png);
    this.remember(cameraId, stored.at, stored.version, mask);
    return mask;
  }

  /** A mask this worker segmented itself: the next frames of the camera use it without decoding. */
  remember(cameraId: string, at: number, version: string, mask: WaterMask): void {
    this.byCamera.delete(cameraId); // re-inserted last: Map order is the recency order
    this.byCamera.set(cameraId, { at, version, mask });
    while (this.byCamera.size > this.maxCameras) this.byCamera.delete(this.byCamera.keys().next().value!);
  }

  get size(): number {
    return this.byCamera.size;
  }
}
