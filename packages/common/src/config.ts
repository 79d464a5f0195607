import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { parseRedisUrl } from './redis.ts';

/**
 * All configuration comes from environment variables, validated once at start-up
 * into one typed object. CLI flags are applied as overrides of the same names.
 */
export interface RiverwatchConfig {
  dataDir: string;
  keyPrefix: string;
  logLevel: string;
  redisUrl: string | undefined;
  s3: { endpoint: string | undefined; accessKey: string; secretKey: string; region: string; bucketPrefix: string };
  api: {
    host: string;
    port: number;
    adminKey: string | undefined;
    maxUploadBytes: number;
    detectTimeoutMs: number;
    /** A request that needs Redis answers 503 once Redis has not answered for this long (frozen, failing over). */
    redisTimeoutMs: number;
    /** Requests per minute per API key (per client address when no key is sent). */
    rateLimitPerMinute: number;
    /**
     * Which proxies' X-Forwarded-For to believe when taking a caller's address:
     * false (none: the socket's peer), a hop count, or proxy addresses/CIDRs.
     */
    trustProxy: false | number | string[];
    /** Hosts, IPs or CIDRs webhooks may reach even though they are private/loopback. */
    webhookAllowHosts: string[];
    /** Run the webhook notifier inside the api service. */
    webhookNotifier: boolean;
    webhookTimeoutMs: number;
    /** First retry delay; later ones grow exponentially (the default schedule spans more than a day). */
    webhookRetryBaseMs: number;
  };
  worker: {
    concurrency: number;
    metricsPort: number;
    detectorModel: string;
    segmenterModel: string;
    /** Scores in [low, high) send a frame to the labelling loop. */
    reviewBand: [number, number];
    reviewIntervalSeconds: number;
    summaryRetentionHours: number;
    /** Resolved and rejected alerts (record and evidence) are deleted this long after they ended; 0 keeps them. */
    alertRetentionDays: number;
    /** Water-mask history in S3 older than this is deleted (each camera's newest is kept); 0 keeps it. */
    maskRetentionDays: number;
    /** How often one worker replica runs the retention sweep. */
    retentionIntervalSeconds: number;
    frameAttempts: number;
    /** A frame job's lock; a dead worker's frames are taken up again within about this long. */
    lockMs: number;
  };
  ingest: IngestConfig;
  inference: {
    targets: string[];
    grpcPort: number;
    metricsPort: number;
    modelRepository: string;
    providers: string[];
    requireGpu: boolean;
    maxMessageBytes: number;
    deadlineMs: number;
    /** Server: accept Triton's system shared-memory extension (like Triton's --allow-client-shm). */
    allowClientShm: boolean;
    /** Client (worker): pass tensors through /dev/shm when the one target offers it. */
    sharedMemory: boolean;
    /** Server: threads that decode and tile frame requests (FRAME_INPUT); 0 refuses them. */
    frameThreads: number;
    /** Server: onnxruntime intra-op threads per session; 0 = the CPUs the process may use (cgroup quota, affinity). */
    intraOpThreads: number;
    /** Server: sessions of each model whose config.json does not set `instances`. */
    instances: number;
    /** Client (worker): send detectors the encoded frame, not its tiles' tensors, when the server takes frames. */
    sendFrames: boolean;
  };
  frameTtlSeconds: number;
}

/** Ingest tunables (INGEST_*): production defaults; tests set short ones. */
export interface IngestConfig {
  metricsPort: number;
  /** Stable id of this replica in the lease registry; default host-pid-random. */
  replicaId: string | undefined;
  /** A camera lease lives this long unless renewed; a dead replica's cameras move after it. */
  leaseMs: number;
  /** How often the camera list is re-read and leases renewed (capped at leaseMs / 3). */
  syncIntervalMs: number;
  /** Frames of one camera queued or being processed at once; newer frames replace waiting ones. */
  maxInFlight: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** No frame for this long: ffmpeg is killed and restarted (also bounds connecting). */
  stallSeconds: number;
  /** No frame for this long: camera.offline is published. */
  offlineAfterSeconds: number;
  /** Frames flowing for this long after being offline: camera.recovered is published. */
  recoverAfterSeconds: number;
  /** Bigger JPEGs are discarded as corrupt: bounds memory whatever a camera sends. */
  maxFrameBytes: number;
  /**
   * Frame batches: > 0 gathers the frames of all this replica's cameras for up to this many ms
   * into one job (FrameBatchJob); 0 (the default) queues one job per frame.
   */
  batchWindowMs: number;
  /** A batch is sent as soon as it holds this many frames. */
  batchMaxFrames: number;
  /** Batches waiting for a worker at most; a batch beyond it is dropped whole (the backlog stays short). */
  batchMaxWaiting: number;
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string {
  const v = env[name];
  if (v === undefined || v === '') {
    if (fallback === undefined) throw new ConfigError(`${name} is required`);
    return fallback;
  }
  return v;
}

function optionalUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(' or ')}), got "${v}"`);
  }
  if (!protocols.includes(url.protocol.replace(':', ''))) {
    throw new ConfigError(`${name} must be a URL with scheme ${protocols.join(' or ')}, got "${v}"`);
  }
  return v;
}

/** One server (redis://, rediss://) or a cluster's seed nodes (redis-cluster://host:port,host:port). */
function redisUrl(env: Env): string | undefined {
  const v = env.REDIS_URL;
  if (!v || !/^rediss?-cluster:\/\//.test(v)) return optionalUrl(env, 'REDIS_URL', ['redis', 'rediss', 'redis-cluster', 'rediss-cluster']);
  try {
    parseRedisUrl(v);
  } catch (err) {
    throw new ConfigError(`REDIS_URL: ${(err as Error).message}, got "${v}"`);
  }
  return v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

function oneOf(env: Env, name: string, fallback: string, allowed: string[]): string {
  const v = str(env, name, fallback);
  if (!allowed.includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v;
}

function list(env: Env, name: string, fallback: string): string[] {
  return str(env, name, fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** "" / false: trust no proxy; a number: that many hops; else a list of proxy IPs or CIDRs. */
function trustProxy(env: Env, name: string): false | number | string[] {
  const v = str(env, name, '');
  if (v === '' || /^(0|false|no|off)$/i.test(v)) return false;
  if (/^\d+$/.test(v)) return int(env, name, 0, 1, 32);
  const entries = list(env, name, '');
  for (const e of entries) {
    const [addr, bits, extra] = e.split('/');
    const family = isIP(addr ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError(`${name} must be false, a hop count, or proxy addresses/CIDRs separated by commas; "${e}" is none of these`);
    }
  }
  return entries;
}

function band(env: Env, name: string, fallback: [number, number]): [number, number] {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const parts = v.split(',').map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n) || n < 0 || n > 1) || parts[0]! >= parts[1]!) {
    throw new ConfigError(`${name} must be "low,high" with 0 <= low < high <= 1, got "${v}"`);
  }
  return [parts[0]!, parts[1]!];
}

/** A directory (made absolute) or an `s3://bucket/prefix` kept as it is. */
function repositoryLocation(value: string): string {
  return value.startsWith('s3://') ? value : resolve(value);
}

export function loadConfig(env: Env = process.env): RiverwatchConfig {
  const providers = list(env, 'INFERENCE_PROVIDERS', 'cpu');
  for (const p of providers) {
    if (p !== 'cpu' && p !== 'cuda') throw new ConfigError(`INFERENCE_PROVIDERS must be a comma list of cuda, cpu; got "${p}"`);
  }
  const keyPrefix = str(env, 'KEY_PREFIX', 'rw');
  if (!/^[a-zA-Z0-9_-]{1,32}$/.test(keyPrefix)) throw new ConfigError(`KEY_PREFIX must be 1-32 letters, digits, _ or -, got "${keyPrefix}"`);
  const bucketPrefix = str(env, 'S3_BUCKET_PREFIX', 'riverwatch');
  if (!/^[a-z0-9][a-z0-9-]{1,40}$/.test(bucketPrefix)) throw new ConfigError(`S3_BUCKET_PREFIX must be lowercase letters, digits and -, got "${bucketPrefix}"`);
  return {
    dataDir: resolve(str(env, 'DATA_DIR', './data')),
    keyPrefix,
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    redisUrl: redisUrl(env),
    s3: {
      endpoint: optionalUrl(env, 'S3_ENDPOINT', ['http', 'https']),
      accessKey: str(env, 'S3_ACCESS_KEY', 'S3RVER'),
      secretKey: str(env, 'S3_SECRET_KEY', 'S3RVER'),
      region: str(env, 'S3_REGION', 'us-east-1'),
      bucketPrefix,
    },
    api: {
      host: str(env, 'HOST', '0.0.0.0'),
      port: int(env, 'PORT', 8080, 0, 65535),
      adminKey: env.RIVERWATCH_ADMIN_KEY || undefined,
      maxUploadBytes: int(env, 'MAX_UPLOAD_BYTES', 10 * 1024 * 1024, 1024, 512 * 1024 * 1024),
      detectTimeoutMs: int(env, 'DETECT_TIMEOUT_MS', 30_000, 100, 600_000),
      redisTimeoutMs: int(env, 'API_REDIS_TIMEOUT_MS', 2000, 50, 60_000),
      rateLimitPerMinute: int(env, 'API_RATE_LIMIT_PER_MINUTE', 1200, 1, 1_000_000),
      trustProxy: trustProxy(env, 'API_TRUST_PROXY'),
      webhookAllowHosts: list(env, 'WEBHOOK_ALLOW_HOSTS', '').map((h) => h.toLowerCase()),
      webhookNotifier: bool(env, 'WEBHOOK_NOTIFIER', true),
      webhookTimeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 50, 120_000),
      webhookRetryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 5_000, 1, 3_600_000),
    },
    worker: {
      concurrency: int(env, 'WORKER_CONCURRENCY', 4, 1, 256),
      metricsPort: int(env, 'WORKER_METRICS_PORT', 9464, 0, 65535),
      detectorModel: str(env, 'DETECTOR_MODEL', 'debris-yolov5'),
      segmenterModel: str(env, 'SEGMENTER_MODEL', 'water-seg'),
      reviewBand: band(env, 'REVIEW_SCORE_BAND', [0.25, 0.5]),
      reviewIntervalSeconds: int(env, 'REVIEW_INTERVAL_SECONDS', 30, 0, 86_400),
      summaryRetentionHours: int(env, 'SUMMARY_RETENTION_HOURS', 24 * 7, 1, 24 * 365),
      alertRetentionDays: int(env, 'ALERT_RETENTION_DAYS', 90, 0, 3650),
      maskRetentionDays: int(env, 'MASK_RETENTION_DAYS', 30, 0, 3650),
      retentionIntervalSeconds: int(env, 'RETENTION_INTERVAL_SECONDS', 3600, 1, 86_400),
      frameAttempts: int(env, 'FRAME_ATTEMPTS', 3, 1, 20),
      lockMs: int(env, 'WORKER_LOCK_MS', 30_000, 1000, 600_000),
    },
    ingest: {
      metricsPort: int(env, 'INGEST_METRICS_PORT', 9465, 0, 65535),
      replicaId: env.INGEST_REPLICA_ID || undefined,
      leaseMs: int(env, 'INGEST_LEASE_MS', 15_000, 500, 600_000),
      syncIntervalMs: int(env, 'INGEST_SYNC_INTERVAL_MS', 2000, 50, 60_000),
      maxInFlight: int(env, 'INGEST_MAX_IN_FLIGHT', 2, 1, 100),
      backoffBaseMs: int(env, 'INGEST_BACKOFF_BASE_MS', 1000, 10, 600_000),
      backoffCapMs: int(env, 'INGEST_BACKOFF_CAP_MS', 60_000, 10, 3_600_000),
      stallSeconds: int(env, 'INGEST_STALL_SECONDS', 15, 1, 3600),
      offlineAfterSeconds: int(env, 'INGEST_OFFLINE_AFTER_SECONDS', 30, 1, 86_400),
      recoverAfterSeconds: int(env, 'INGEST_RECOVER_AFTER_SECONDS', 5, 0, 86_400),
      maxFrameBytes: int(env, 'INGEST_MAX_FRAME_BYTES', 8 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
      batchWindowMs: int(env, 'INGEST_BATCH_WINDOW_MS', 0, 0, 10_000),
      batchMaxFrames: int(env, 'INGEST_BATCH_MAX_FRAMES', 32, 1, 1000),
      batchMaxWaiting: int(env, 'INGEST_BATCH_MAX_WAITING', 8, 1, 10_000),
    },
    inference: {
      targets: list(env, 'INFERENCE_TARGETS', '127.0.0.1:8001'),
      grpcPort: int(env, 'GRPC_PORT', 8001, 0, 65535),
      metricsPort: int(env, 'INFERENCE_METRICS_PORT', 8002, 0, 65535),
      modelRepository: repositoryLocation(str(env, 'MODEL_REPOSITORY', './models')),
      providers,
      requireGpu: bool(env, 'INFERENCE_REQUIRE_GPU', false),
      maxMessageBytes: int(env, 'INFERENCE_MAX_MESSAGE_BYTES', 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      deadlineMs: int(env, 'INFERENCE_DEADLINE_MS', 10_000, 10, 600_000),
      allowClientShm: bool(env, 'INFERENCE_ALLOW_CLIENT_SHM', false),
      sharedMemory: bool(env, 'INFERENCE_SHARED_MEMORY', false),
      frameThreads: int(env, 'INFERENCE_FRAME_THREADS', 1, 0, 64),
      intraOpThreads: int(env, 'INFERENCE_INTRA_OP_THREADS', 0, 0, 256),
      instances: int(env, 'INFERENCE_INSTANCES', 1, 1, 64),
      sendFrames: bool(env, 'INFERENCE_SEND_FRAMES', false),
    },
    frameTtlSeconds: int(env, 'FRAME_TTL_SECONDS', 120, 5, 86_400),
  };
}
