/**
 * What the pipeline benchmarks share: local Redis (one server or a cluster) and the
 * embedded S3 server, riverwatch services each in its own process
 * (`riverwatch start --services <name>`, as deployed), and cameras registered in Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ALERT_RULES, cameraDefaults, parseRedisUrl, saveCameraConfig, type CameraConfig, type Redis, type RedisKeys } from '@riverwatch/common';
import { startEmbeddedS3, startLocalRedis, startLocalRedisCluster, type LocalServer } from '@riverwatch/local-infra';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** The bundled river clip the demo camera streams (640x360, 20 s, looped by ingest's ffmpeg). */
export const DEMO_CLIP = join(ROOT, 'assets/clips/river-demo.mp4');

export type S3Server = LocalServer & { accessKey: string; secretKey: string };

export function startS3(dataDir: string): Promise<S3Server> {
  return startEmbeddedS3({ dataDir });
}

/** A local redis-server, or a three-master Redis Cluster (its URL is `redis-cluster://...`). */
export function startRedis(dataDir: string, cluster = false): Promise<LocalServer> {
  return cluster ? startLocalRedisCluster({ dataDir }) : startLocalRedis({ dataDir });
}

/** Each server of a Redis URL as its own `redis://host:port` (every master of a cluster URL). */
export function redisNodeUrls(url: string): string[] {
  const target = parseRedisUrl(url);
  return target.cluster ? target.nodes.map((n) => `redis://${n.host}:${n.port}`) : [url];
}

/** The frames of a rendered test clip (640x360 JPEGs), as a camera would send them. */
export function loadClipJpegs(name: string): Buffer[] {
  const dir = join(ROOT, 'test/fixtures/clips', name);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as { frames: { file: string }[] };
  return truth.frames.map((f) => readFileSync(join(dir, f.file)));
}

/** The environment of a service process: where Redis, S3 and the models are; metrics on free ports; JSON logs. */
export function serviceEnv(opts: { redisUrl: string; s3: S3Server; prefix: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    REDIS_URL: opts.redisUrl,
    S3_ENDPOINT: opts.s3.url,
    S3_ACCESS_KEY: opts.s3.accessKey,
    S3_SECRET_KEY: opts.s3.secretKey,
    S3_BUCKET_PREFIX: opts.prefix,
    KEY_PREFIX: opts.prefix,
    MODEL_REPOSITORY: join(ROOT, 'models'),
    INFERENCE_METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
    INGEST_METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    ...opts.extra,
  };
}

/** A camera as the pipeline benchmarks register it (debris-yolov5 + water-seg, default rules). */
export function benchCamera(id: string, overrides: Partial<CameraConfig> = {}): CameraConfig {
  return {
    ...cameraDefaults(),
    id,
    name: id,
    sourceUrl: 'file:///dev/null',
    fps: 2,
    maxWidth: 640,
    rules: DEFAULT_ALERT_RULES,
    detectorModel: 'debris-yolov5',
    segmenterModel: 'water-seg',
    createdAt: Date.now(),
    updatedAt: Date.now(),
    ...overrides,
  };
}

/** Writes cameras where the services read them (config + camera index), as the API does. */
export async function registerCameras(redis: Redis, keys: RedisKeys, cameras: CameraConfig[]): Promise<void> {
  for (const camera of cameras) await saveCameraConfig(redis, keys, camera);
}

export interface ServiceProcess {
  service: string;
  child: ChildProcess;
  pid: number;
  /** The process's output so far (its JSON log lines). */
  output(): string;
}

/**
 * riverwatch services started as child processes; stopAll() (or killAll() when the
 * benchmark itself is failing) leaves none behind.
 */
export class ServiceProcesses {
  private readonly running = new Set<ServiceProcess>();

  /** Starts `riverwatch start --services <service>` and resolves once it logs "service started". */
  start(service: string, env: Record<string, string>, timeoutMs = 120_000): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [join(ROOT, 'bin/riverwatch.js'), 'start', '--services', service], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const proc: ServiceProcess = { service, child, pid: child.pid!, output: () => out };
    this.running.add(proc);
    child.once('exit', () => this.running.delete(proc));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${service} did not start within ${timeoutMs} ms:\n${out.slice(-2000)}`)), timeoutMs);
      const onData = (d: Buffer) => {
        // Keep the tail only: a service logs for as long as the benchmark runs.
        out = (out + d.toString()).slice(-64_000);
        if (/"msg":"service started"/.test(out)) {
          clearTimeout(timer);
          resolve(proc);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${service} exited with ${code ?? signal}:\n${out.slice(-2000)}`));
      });
    });
  }

  /** SIGTERM, as an orchestrator stops a service, and waits for the exit; returns the exit code. */
  stop(proc: ServiceProcess): Promise<number | null> {
    return new Promise((resolve) => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return resolve(proc.child.exitCode);
      proc.child.once('exit', (code) => resolve(code));
      proc.child.kill('SIGTERM');
    });
  }

  /** Stops every running service, last started first. */
  async stopAll(): Promise<void> {
    for (const proc of [...this.running].reverse()) await this.stop(proc);
  }

  list(): ServiceProcess[] {
    return [...this.running];
  }

  killAll(): void {
    for (const proc of this.running) proc.child.kill('SIGKILL');
  }
}

/** User + system CPU time of a live process so far, in milliseconds (0 once it is gone). */
export function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15, in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** A command-line value that must be a positive number; the error names the flag. */
export function positiveArg(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}
