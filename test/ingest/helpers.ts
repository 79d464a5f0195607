import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { pino } from 'pino';
import {
  DEFAULT_ALERT_RULES,
  QueueName,
  createRedis,
  deleteCameraConfig,
  saveCameraConfig,
  type CameraConfig,
  type CameraStatus,
  type FrameJob,
  type LiveEvent,
  type ServiceContext,
} from '@riverwatch/common';
import { createTestContext, type TestContext } from '../support/context.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Short tunables so each failure scenario plays out in seconds. */
export const FAST_INGEST_ENV: Record<string, string> = {
  INGEST_LEASE_MS: '3000',
  INGEST_SYNC_INTERVAL_MS: '300',
  INGEST_MAX_IN_FLIGHT: '2',
  INGEST_BACKOFF_BASE_MS: '200',
  INGEST_BACKOFF_CAP_MS: '1600',
  INGEST_STALL_SECONDS: '2',
  INGEST_OFFLINE_AFTER_SECONDS: '2',
  INGEST_RECOVER_AFTER_SECONDS: '1',
  FRAME_TTL_SECONDS: '30',
};

export async function ingestTestContext(extra: Record<string, string> = {}): Promise<{ t: TestContext; ctx: ServiceContext }> {
  const t = await createTestContext({ ...FAST_INGEST_ENV, ...extra });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return { t, ctx: { config: t.config, logger, redisUrl: t.redisUrl, s3Endpoint: t.s3Endpoint } };
}

/**
 * A synthetic H.264 clip (moving test pattern, 320x240, 10 fps, 60 s) made
 * once per machine with ffmpeg; long enough that no RTSP session reaches its end.
 */
export function testClip(): string {
  const dir = join(tmpdir(), 'riverwatch-ingest-fixtures');
  const clip = join(dir, 'clip-320x240-10fps.mp4');
  if (existsSync(clip)) return clip;
  mkdirSync(dir, { recursive: true });
  const tmp = `${clip}.${process.pid}.mp4`;
  const res = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10',
    '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-pix_fmt', 'yuv420p', '-an', tmp,
  ]);
  if (res.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${res.stderr.toString()}`);
  spawnSync('mv', [tmp, clip]);
  return clip;
}

export function cameraConfig(id: string, sourceUrl: string, over: Partial<CameraConfig> = {}): CameraConfig {
  const now = Date.now();
  return {
    id,
    name: `River camera ${id}`,
    sourceUrl,
    fps: 5,
    maxWidth: 160,
    zones: { include: [], exclude: [] },
    rules: DEFAULT_ALERT_RULES,
    detectorModel: 'debris-yolov5',
    segmenterModel: 'water-seg',
    segmentEveryFrames: 10,
    segmentMaxAgeSeconds: 60,
    enabled: true,
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}

/** Writes a camera the way the API does: JSON at keys.camera, id in the index, the index's version bumped. */
export async function putCamera(t: TestContext, camera: CameraConfig): Promise<void> {
  await saveCameraConfig(t.redis, t.keys, camera);
}

export async function deleteCamera(t: TestContext, id: string): Promise<void> {
  await deleteCameraConfig(t.redis, t.keys, id);
}

export async function readStatus(t: TestContext, id: string): Promise<Partial<Record<keyof CameraStatus, string>>> {
  return t.redis.hgetall(t.keys.cameraStatus(id));
}

export async function liveEvents(t: TestContext, since = 0): Promise<LiveEvent[]> {
  const entries = await t.redis.xrange(t.keys.events(), '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[1]) as LiveEvent).filter((e) => e.at >= since);
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | null | false>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ReceivedFrame {
  job: FrameJob;
  bytes: Buffer | null;
  ttl: number;
}

/**
 * A stand-in for the worker: takes frame jobs, reads their bytes and follows
 * the in-flight protocol (ZREM the frameId from keys.cameraInFlight when done).
 */
export async function startFrameSink(t: TestContext): Promise<{ frames: ReceivedFrame[]; close(): Promise<void> }> {
  const frames: ReceivedFrame[] = [];
  const connection = createRedis(t.redisUrl, 'blocking');
  const reader = createRedis(t.redisUrl);
  const worker = new Worker<FrameJob>(
    QueueName.frames,
    async (job) => {
      const key = t.keys.frame(job.data.frameId);
      const [bytes, ttl] = await Promise.all([reader.getBuffer(key), reader.ttl(key)]);
      frames.push({ job: job.data, bytes, ttl });
      await reader.zrem(t.keys.cameraInFlight(job.data.cameraId), job.data.frameId);
    },
    { connection, prefix: t.keys.queuePrefix, concurrency: 4 },
  );
  worker.on('error', () => {});
  return {
    frames,
    async close() {
      await worker.close();
      connection.disconnect();
      reader.disconnect();
    },
  };
}

/** The GStreamer RTSP server of test/support/rtsp_server.py, as a child we can kill, stop and restart. */
export class RtspServer {
  private child: ChildProcess | undefined;
  port = 0;

  constructor(private readonly clip: string) {}

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}/river`;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async start(port = this.port): Promise<void> {
    const child = spawn('/usr/bin/python3', [join(repoRoot, 'test/support/rtsp_server.py'), '--port', String(port), '--clip', this.clip], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`rtsp_server.py exited (${code}): ${err}`)));
    });
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await gone;
  }
}

/** A TCP listener that records each connection attempt and treats it as told. */
export async function tcpListener(port: number, onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number; attempts: number[]; close(): Promise<void> }> {
  const attempts: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    attempts.push(Date.now());
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    server,
    port: bound,
    attempts,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** ffmpeg processes whose parent is this test process (zombies included). */
export function ffmpegChildrenOf(pid: number): string[] {
  const res = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=,stat=,comm=']);
  return res.stdout
    .toString()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /ffmpeg/.test(l));
}
