import type { CameraConfig, IngestConfig, Logger } from '@riverwatch/common';
import type { CameraDirectory } from './camera-directory.ts';
import type { CameraLeases } from './camera-leases.ts';
import { CameraPuller, type CameraPullerDeps } from './camera-puller.ts';
import type { CameraStatusStore } from './camera-status-store.ts';
import type { IngestMetrics } from './ingest-metrics.ts';

interface Held {
  puller: CameraPuller;
  /** Last successful lease renewal: past renewedAt + leaseMs the lease may be someone else's. */
  renewedAt: number;
}

/**
 * Decides which cameras this replica pulls. Every sync it heartbeats into the
 * replica registry, re-reads the cameras, renews the leases a third of whose time
 * has passed (a lease is renewed every leaseMs / 3 or so), gives back cameras
 * above its fair share (ceil(cameras / live replicas)) and takes free ones up
 * to that share. Config changes restart a camera's puller; deleted or disabled
 * cameras stop.
 */
export class IngestService {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly settings: IngestConfig,
    private readonly directory: CameraDirectory,
    private readonly leases: CameraLeases,
    private readonly status: CameraStatusStore,
    private readonly metrics: IngestMetrics,
    private readonly pullerDeps: CameraPullerDeps,
    private readonly logger: Logger,
  ) {}

  get syncEveryMs(): number {
    return Math.max(50, Math.min(this.settings.syncIntervalMs, Math.floor(this.settings.leaseMs / 3)));
  }

  /** Cameras this replica pulls now. */
  heldCameraIds(): string[] {
    return [...this.held.keys()];
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.syncing = this.sync()
        .catch((err: Error) => this.logger.error({ err }, 'ingest sync failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.syncEveryMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.syncing;
    await Promise.all([...this.held.keys()].map((id) => this.drop(id, { release: true, finalState: 'stopped' })));
    await this.leases.leave().catch(() => {});
    this.metrics.held.set({ replica: this.leases.replicaId }, 0);
  }

  async sync(): Promise<void> {
    this.expireUnrenewed();
    const replicas = await this.leases.heartbeat();
    const cameras = await this.directory.list();
    if (this.stopped) return;
    const byId = new Map(cameras.map((c) => [c.id, c]));
    const wanted = cameras.filter(isPullable);

    // Gone or disabled cameras stop; changed ones restart with the new config.
    for (const [id, h] of this.held) {
      const cam = byId.get(id);
      if (!cam) await this.drop(id, { release: true, forget: true });
      else if (!isPullable(cam)) await this.drop(id, { release: true, finalState: 'stopped' });
      else if (cam.updatedAt !== h.puller.camera.updatedAt) {
        this.logger.info({ cameraId: id }, 'camera config changed, restarting its stream');
        await h.puller.stop();
        h.puller = this.startPuller(cam);
      }
    }

    // A lease is renewed once a third of it has passed, not every sync: each renewal is a script per camera.
    const checkedAt = Date.now();
    const due = [...this.held].filter(([, h]) => checkedAt - h.renewedAt >= this.settings.leaseMs / 3).map(([id]) => id);
    const renewed = await this.leases.renew(due);
    const now = Date.now();
    for (const [id, ok] of renewed) {
      const h = this.held.get(id);
      if (!h) continue;
      if (ok) h.renewedAt = now;
      else {
        this.logger.warn({ cameraId: id }, 'camera lease lost to another replica');
        await this.drop(id, { release: false });
      }
    }

    const share = Math.ceil(wanted.length / replicas);
    if (this.held.size > share) {
      // Newest first: give back what we took last, so long-held streams stay put.
      const excess = [...this.held.keys()].slice(share);
      for (const id of excess) await this.drop(id, { release: true });
      this.logger.info({ released: excess, share, replicas }, 'released cameras above fair share');
    } else if (this.held.size < share) {
      const candidates = shuffle(await this.leases.unleased(wanted.filter((c) => !this.held.has(c.id)).map((c) => c.id)));
      for (const id of candidates) {
        if (this.held.size >= share || this.stopped) break;
        if (!(await this.leases.acquire(id))) continue;
        this.held.set(id, { puller: this.startPuller(byId.get(id)!), renewedAt: Date.now() });
        this.logger.info({ cameraId: id }, 'camera lease acquired');
      }
    }
    this.metrics.held.set({ replica: this.leases.replicaId }, this.held.size);
  }

  /** Redis unreachable for a lease period: our leases may have moved, so stop pulling. */
  private expireUnrenewed(): void {
    const now = Date.now();
    for (const [id, h] of this.held) {
      if (now - h.renewedAt > this.settings.leaseMs) {
        this.logger.warn({ cameraId: id }, 'camera lease not renewed in time, stopping its stream');
        void this.drop(id, { release: false });
      }
    }
  }

  private startPuller(camera: CameraConfig): CameraPuller {
    const puller = new CameraPuller(camera, this.pullerDeps);
    puller.start();
    return puller;
  }

  private async drop(id: string, opts: { release: boolean; forget?: boolean; finalState?: 'stopped' }): Promise<void> {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    await h.puller.stop(opts.finalState);
    if (opts.release) await this.leases.release(id).catch((err: Error) => this.logger.warn({ err, cameraId: id }, 'lease release failed'));
    if (opts.forget) await this.status.forget(id).catch(() => {});
    this.metrics.forget(id);
  }
}

function isPullable(camera: CameraConfig): boolean {
  return camera.enabled !== false && typeof camera.sourceUrl === 'string' && camera.sourceUrl.length > 0;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
