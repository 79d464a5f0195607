import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  SERVICE_NAMES,
  createLogger,
  loadConfig,
  waitForRedis,
  type Logger,
  type RiverwatchConfig,
  type RunningService,
  type ServiceContext,
  type ServiceName,
} from '@riverwatch/common';
import { startEmbeddedS3, startLocalRedis, type LocalServer } from '@riverwatch/local-infra';

type ServiceModule = { start(ctx: ServiceContext): Promise<RunningService> };

const modules: Record<ServiceName, () => Promise<ServiceModule>> = {
  inference: () => import('@riverwatch/inference'),
  worker: () => import('@riverwatch/worker'),
  ingest: () => import('@riverwatch/ingest'),
  api: () => import('@riverwatch/api'),
};

export interface StackOptions {
  services: ServiceName[];
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

export interface Stack {
  config: RiverwatchConfig;
  redisUrl: string;
  s3Endpoint: string;
  adminKey: string | undefined;
  services: RunningService[];
  stop(): Promise<void>;
}

export function parseServices(value: string): ServiceName[] {
  if (value === 'all') return [...SERVICE_NAMES];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(n)) {
      throw new ConfigError(`--services must be "all" or a comma list of ${SERVICE_NAMES.join(', ')}; got "${n}"`);
    }
  }
  if (!names.length) throw new ConfigError('--services must name at least one service');
  // Start order matters: inference before its clients, api last so /readyz is truthful.
  return SERVICE_NAMES.filter((n) => names.includes(n));
}

/** The admin key survives restarts of a single-machine install: kept under the data dir. */
function localAdminKey(dataDir: string): string {
  const file = join(dataDir, 'admin.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = `rw_admin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}

/**
 * Resolves Redis and S3 (starting local servers when none is configured),
 * then starts the chosen services in order. stop() undoes all of it in reverse.
 */
export async function runStack(opts: StackOptions): Promise<Stack> {
  const env = { ...(opts.env ?? process.env) };
  const config = loadConfig(env);
  const logger = opts.logger ?? createLogger(config.logLevel);
  const owned: LocalServer[] = [];
  const services: RunningService[] = [];

  const stop = async () => {
    for (const s of [...services].reverse()) {
      try {
        await s.stop();
      } catch (err) {
        logger.error({ err, service: s.name }, 'service failed to stop cleanly');
      }
    }
    services.length = 0;
    for (const server of owned.reverse()) await server.stop();
    owned.length = 0;
  };

  try {
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const redis = await startLocalRedis({ dataDir: join(config.dataDir, 'redis') });
      owned.push(redis);
      redisUrl = redis.url;
      logger.info({ redisUrl }, 'started local redis-server (REDIS_URL not set)');
    }
    await waitForRedis(redisUrl, 5000);

    let s3Endpoint = config.s3.endpoint;
    if (!s3Endpoint) {
      const s3 = await startEmbeddedS3({ dataDir: join(config.dataDir, 's3') });
      owned.push(s3);
      s3Endpoint = s3.url;
      config.s3.accessKey = s3.accessKey;
      config.s3.secretKey = s3.secretKey;
      logger.info({ s3Endpoint }, 'started embedded S3 server (S3_ENDPOINT not set)');
    }

    if (opts.services.includes('api') && !config.api.adminKey) config.api.adminKey = localAdminKey(config.dataDir);

    const ctx: ServiceContext = { config, logger, redisUrl, s3Endpoint };
    for (const name of opts.services) {
      const mod = await modules[name]();
      const service = await mod.start({ ...ctx, logger: logger.child({ service: name }) });
      services.push(service);
      logger.info({ service: name }, 'service started');
      // In one process the worker and API call the inference server we just bound (GRPC_PORT may be 0).
      const grpcPort = (service as { grpcPort?: number }).grpcPort;
      if (name === 'inference' && grpcPort && !env.INFERENCE_TARGETS) config.inference.targets = [`127.0.0.1:${grpcPort}`];
    }
    return { config, redisUrl, s3Endpoint, adminKey: config.api.adminKey, services, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
