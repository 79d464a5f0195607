import type { CameraConfig, CameraState, CameraStatus, IngestConfig, Logger } from '@riverwatch/common';
import { Backoff } from './backoff.ts';
import type { CameraEvents } from './camera-events.ts';
import { ffmpegArgs, sourceScheme, type SourceKind } from './camera-source.ts';
import type { CameraStatusStore } from './camera-status-store.ts';
import { FfmpegProcess } from './ffmpeg-process.ts';
import type { FrameSink } from './frame-sink.ts';
import { probeHttpSource } from './http-source-probe.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { jpegSize } from './jpeg-size.ts';
import { RateWindow } from './rate-window.ts';

export interface CameraPullerDeps {
  settings: IngestConfig;
  replicaId: string;
  /** FramePublisher, or FrameBatcher when frames are batched. */
  publisher: FrameSink;
  events: CameraEvents;
  status: CameraStatusStore;
  metrics: IngestMetrics;
  logger: Logger;
}

interface Session {
  process: FfmpegProcess;
  startedAt: number;
  firstFrameAt: number | null;
  lastFrameAt: number | null;
  stalled: boolean;
}

/** The status hash's refresh (rates, counters); a change of state is written at once. */
const STATUS_EVERY_MS = 2000;
/** A stalled ffmpeg gets this long after SIGTERM to say what it was stuck on. */
const STALL_KILL_GRACE_MS = 1000;

/**
 * Keeps one camera's frames flowing: runs ffmpeg, restarts it with capped
 * exponential backoff when it fails or stalls, and reports the camera offline
 * (no frame for offlineAfterSeconds) and recovered (frames again for
 * recoverAfterSeconds). Counters continue from the camera's status hash, so a
 * camera that moves between replicas keeps its history.
 */
export class CameraPuller {
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly counts = { framesIn: 0, framesOut: 0, drops: 0, reconnects: 0, corrupt: 0, stalls: 0 };
  private readonly rates = new RateWindow(5000);
  private state: CameraState = 'connecting';
  private offlineReported = false;
  private lastFrameAt: number | null = null;
  private lastError: string | null = null;
  private retryAt = 0;
  private readonly startedAt = Date.now();
  private session: Session | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStatusAt = 0;
  private publishing = false;
  /** The loop writing frames to the queue, while one runs: stop() waits for the frame in hand. */
  private draining: Promise<void> | undefined;
  private pending: { jpeg: Buffer; capturedAt: number; width: number; height: number } | undefined;
  /** Events leave in order: an offline is never overtaken by its recovery. */
  private eventChain: Promise<void> = Promise.resolve();

  constructor(
    readonly camera: CameraConfig,
    private readonly deps: CameraPullerDeps,
  ) {
    this.log = deps.logger.child({ cameraId: camera.id });
    this.backoff = new Backoff(deps.settings.backoffBaseMs, deps.settings.backoffCapMs);
  }

  get id(): string {
    return this.camera.id;
  }

  start(): void {
    this.loop = this.run().catch((err: Error) => this.log.error({ err }, 'camera puller crashed'));
  }

  /** Kills ffmpeg (and waits until it is reaped); writes finalState to the status hash when given. */
  async stop(finalState?: CameraState): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.wake?.();
    await this.session?.process.kill();
    await this.loop;
    // A frame being published finishes (queued, or undone when queueing fails) before the
    // caller closes the queue and Redis under it: no bytes without a job, no ledger entry
    // left at "queued" with nothing behind it.
    await this.draining;
    await this.eventChain;
    this.deps.metrics.online.set({ camera: this.id }, 0);
    if (finalState) {
      this.state = finalState;
      await this.writeStatus().catch((err: Error) => this.log.warn({ err }, 'could not write camera status'));
    }
  }

  private get stallMs(): number {
    return this.deps.settings.stallSeconds * 1000;
  }

  private async run(): Promise<void> {
    const previous = await this.deps.status.read(this.id).catch(() => null);
    if (previous) {
      for (const k of Object.keys(this.counts) as (keyof typeof this.counts)[]) this.counts[k] = previous[k] ?? 0;
      // Taken over from another replica while offline: the offline event was already sent.
      if (previous.state === 'offline') {
        this.offlineReported = true;
        this.state = 'offline';
      }
    }
    if (this.stopped) return;
    const tickMs = Math.max(50, Math.min(250, this.stallMs / 4));
    this.timer = setInterval(() => this.tick(), tickMs);
    await this.writeStatus().catch(() => {});

    while (!this.stopped) {
      const session = await this.connect();
      if (this.stopped) {
        // stop() ran while we were connecting and could not see this child.
        await session?.process.kill();
        break;
      }
      if (session) {
        this.session = session;
        const exit = await session.process.exited;
        this.session = undefined;
        if (this.stopped) break;
        if (!session.stalled) this.lastError = exit.lastError ?? `ffmpeg exited (code ${exit.code ?? exit.signal})`;
        else if (exit.lastError) this.lastError = `${this.lastError} (ffmpeg: ${exit.lastError})`;
        // A stream that delivered frames for a while was healthy: retry soon.
        if (session.firstFrameAt !== null && (session.lastFrameAt ?? 0) - session.firstFrameAt >= this.stallMs) this.backoff.reset();
        this.log.warn({ exit, lastError: this.lastError }, 'camera stream ended');
      }
      if (this.stopped) break;
      this.counts.reconnects++;
      this.deps.metrics.reconnects.inc({ camera: this.id });
      if (!this.offlineReported) this.setState('connecting');
      const delay = this.backoff.next();
      this.retryAt = Date.now() + delay;
      this.log.info({ delayMs: delay, attempt: this.backoff.attempts }, 'reconnecting after backoff');
      await this.sleep(delay);
      this.retryAt = 0;
    }
  }

  private async connect(): Promise<Session | undefined> {
    try {
      const scheme = sourceScheme(this.camera.sourceUrl);
      let kind: SourceKind = scheme === 'http' ? 'http-stream' : scheme;
      if (scheme === 'http') kind = await probeHttpSource(this.camera.sourceUrl, this.stallMs);
      if (this.stopped) return undefined;
      const args = ffmpegArgs({ sourceUrl: this.camera.sourceUrl, kind, fps: this.camera.fps, maxWidth: this.camera.maxWidth, ioTimeoutMs: this.stallMs });
      // Frames arrive on later ticks of the event loop, after `session` is set.
      let session: Session | undefined = undefined;
      const ffmpeg = new FfmpegProcess(
        args,
        { onFrame: (jpeg) => session && this.onFrame(session, jpeg), onCorrupt: (n) => this.onCorrupt(n) },
        this.deps.settings.maxFrameBytes,
      );
      session = { process: ffmpeg, startedAt: Date.now(), firstFrameAt: null, lastFrameAt: null, stalled: false };
      this.log.debug({ kind, pid: session.process.pid }, 'ffmpeg started');
      return session;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.log.warn({ err: this.lastError }, 'camera connect failed');
      return undefined;
    }
  }

  private onFrame(session: Session, jpeg: Buffer): void {
    if (this.stopped) return;
    const now = Date.now();
    session.firstFrameAt ??= now;
    session.lastFrameAt = now;
    this.lastFrameAt = now;
    this.counts.framesIn++;
    this.deps.metrics.framesIn.inc({ camera: this.id });
    this.rates.add(now, 'in');
    const size = jpegSize(jpeg);
    if (!size) {
      this.onCorrupt(1);
      return;
    }
    if (!this.offlineReported) this.setState('online');
    this.checkRecovered(now);
    const frame = { jpeg, capturedAt: now, ...size };
    if (this.publishing) {
      // Still writing the previous frame: keep only the newest one waiting.
      if (this.pending) this.countDrops(1);
      this.pending = frame;
      return;
    }
    this.draining = this.drain(frame);
  }

  private async drain(first: NonNullable<typeof this.pending>): Promise<void> {
    this.publishing = true;
    let frame: typeof this.pending = first;
    while (frame && !this.stopped) {
      try {
        const seq = this.counts.framesIn;
        const out = await this.deps.publisher.publish(
          { cameraId: this.id, capturedAt: frame.capturedAt, seq, width: frame.width, height: frame.height },
          frame.jpeg,
        );
        if (out.frameId) {
          this.log.debug({ frameId: out.frameId, seq, capturedAt: frame.capturedAt }, 'frame queued');
          this.counts.framesOut++;
          this.deps.metrics.framesOut.inc({ camera: this.id });
          this.rates.add(Date.now(), 'out');
        }
        if (out.dropped) this.countDrops(out.dropped);
      } catch (err) {
        this.countDrops(1);
        this.lastError = `queueing frame failed: ${(err as Error).message}`;
        this.log.warn({ err }, 'queueing frame failed');
      }
      frame = this.pending;
      this.pending = undefined;
    }
    this.publishing = false;
  }

  private countDrops(n: number): void {
    this.counts.drops += n;
    this.deps.metrics.drops.inc({ camera: this.id }, n);
  }

  private onCorrupt(n: number): void {
    this.counts.corrupt += n;
    this.deps.metrics.corrupt.inc({ camera: this.id }, n);
  }

  /** Watchdog, offline detection and status flush, a few times per second. */
  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    const s = this.session;
    // Connecting (handshake, probing) may take up to twice the stall time before the first frame.
    const allowedMs = s?.lastFrameAt ? this.stallMs : 2 * this.stallMs;
    if (s && !s.stalled && now - (s.lastFrameAt ?? s.startedAt) > allowedMs) {
      s.stalled = true;
      this.counts.stalls++;
      this.deps.metrics.stalls.inc({ camera: this.id });
      this.lastError = s.lastFrameAt ? `stalled: no frame for ${this.deps.settings.stallSeconds}s` : `no frame within ${2 * this.deps.settings.stallSeconds}s of connecting`;
      this.log.warn({ pid: s.process.pid }, 'stream stalled, restarting ffmpeg');
      void s.process.kill(STALL_KILL_GRACE_MS);
    }
    const lastSeen = this.lastFrameAt ?? this.startedAt;
    if (!this.offlineReported && now - lastSeen > this.deps.settings.offlineAfterSeconds * 1000) {
      this.offlineReported = true;
      this.setState('offline');
      const data = { reason: this.lastError ?? 'no frames', lastFrameAt: this.lastFrameAt, replica: this.deps.replicaId };
      this.log.warn(data, 'camera offline');
      this.emit('camera_offline', data);
    }
    this.checkRecovered(now);
    if (now - this.lastStatusAt >= STATUS_EVERY_MS) {
      this.lastStatusAt = now;
      this.writeStatus().catch((err: Error) => this.log.warn({ err: err.message }, 'could not write camera status'));
    }
  }

  private checkRecovered(now: number): void {
    const s = this.session;
    if (!this.offlineReported || !s?.firstFrameAt || !s.lastFrameAt) return;
    if (now - s.lastFrameAt > this.stallMs) return;
    if (now - s.firstFrameAt < this.deps.settings.recoverAfterSeconds * 1000) return;
    this.offlineReported = false;
    this.setState('online');
    const data = { replica: this.deps.replicaId, lastFrameAt: s.lastFrameAt };
    this.log.info(data, 'camera recovered');
    this.emit('camera_recovered', data);
  }

  private emit(type: 'camera_offline' | 'camera_recovered', data: Record<string, unknown>): void {
    this.eventChain = this.eventChain
      .then(() => this.deps.events.emit(type, this.id, data))
      .catch((err: Error) => this.log.error({ err, type }, 'could not publish camera event'));
    void this.writeStatus().catch(() => {});
  }

  private setState(state: CameraState): void {
    if (this.state === state) return;
    this.state = state;
    this.deps.metrics.online.set({ camera: this.id }, state === 'online' ? 1 : 0);
  }

  private async writeStatus(): Promise<void> {
    const now = Date.now();
    const status: CameraStatus = {
      state: this.state,
      replica: this.deps.replicaId,
      fpsIn: round2(this.rates.rate(now, 'in')),
      fpsOut: round2(this.rates.rate(now, 'out')),
      ...this.counts,
      retryInMs: this.retryAt ? Math.max(0, this.retryAt - now) : 0,
      lastFrameAt: this.lastFrameAt,
      lastError: this.lastError,
      updatedAt: now,
    };
    await this.deps.status.write(this.id, status);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
