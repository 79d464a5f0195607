import { RecentMap } from '@riverwatch/common';
import { maskFromPng, type WaterMask } from '@riverwatch/vision';

/** A camera's water mask as this worker holds it: decoded, with the frames it has used it for. */
export interface HeldMask {
  /** Capture time of the frame it was segmented from. */
  at: number;
  version: string;
  mask: WaterMask;
  /** Frames this worker used it for (counting from the uses Redis had when it was taken up). */
  uses: number;
}

/**
 * Each camera's water mask, decoded, in this worker process. Redis keeps the mask as a PNG
 * (shared by all replicas); fetching it costs its bytes through Redis, decoding it ~2.5 ms
 * of CPU, and box overlaps need its integral image (cached per mask object), so a frame
 * that reuses the camera's mask should pay for none of them again. Entries are keyed by the
 * mask's capture time and version, so a mask another replica re-segmented replaces this one;
 * least recently used cameras go first.
 */
export class DecodedMasks {
  private readonly byCamera: RecentMap<string, HeldMask>;

  constructor(
    maxCameras = 128,
    private readonly decode: (png: Uint8Array) => Promise<WaterMask> = maskFromPng,
  ) {
    this.byCamera = new RecentMap(maxCameras);
  }

  /** The mask this worker holds for the camera, if any. */
  held(cameraId: string): HeldMask | undefined {
    return this.byCamera.get(cameraId);
  }

  /**
   * The mask Redis describes (capture time, version, size, uses), decoded. Its PNG is fetched
   * (`loadPng`) only when this process does not hold that mask already; null when the PNG
   * is gone by then. A mask already held keeps the larger of its own and Redis's use count.
   */
  async get(cameraId: string, stored: { at: number; version: string; width: number; height: number; uses: number }, loadPng: () => Promise<Uint8Array | null>): Promise<WaterMask | null> {
    const hit = this.byCamera.get(cameraId);
    if (hit && hit.at === stored.at && hit.version === stored.version && hit.mask.width === stored.width && hit.mask.height === stored.height) {
      this.remember(cameraId, hit.at, hit.version, hit.mask, Math.max(hit.uses, stored.uses));
      return hit.mask;
    }
    const png = await loadPng();
    if (!png) return null;
    const mask = await this.decode(png);
    this.remember(cameraId, stored.at, stored.version, mask, stored.uses);
    return mask;
  }

  /** One more frame used the camera's held mask. */
  use(cameraId: string): void {
    const hit = this.byCamera.get(cameraId);
    if (hit) hit.uses++;
  }

  /** A mask this worker segmented itself (used once, by that frame): the next frames of the camera use it without decoding. */
  remember(cameraId: string, at: number, version: string, mask: WaterMask, uses = 1): void {
    this.byCamera.set(cameraId, { at, version, mask, uses });
  }

  get size(): number {
    return this.byCamera.size;
  }
}
