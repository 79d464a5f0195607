import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from './deps.ts';
import type { ApiApp } from './fastify-types.ts';
import { installAuth } from './plugins/auth.ts';
import { installErrorHandler } from './plugins/error-handler.ts';
import { installRequestMetrics } from './plugins/request-metrics.ts';
import { installSecurityHeaders } from './plugins/security-headers.ts';
import { registerOpenApi } from './plugins/swagger.ts';
import alertRoutes from './routes/alerts/index.ts';
import apiKeyRoutes from './routes/api-keys/index.ts';
import cameraRoutes from './routes/cameras/index.ts';
import dashboardRoutes from './routes/dashboard/index.ts';
import detectRoutes from './routes/detect/index.ts';
import eventRoutes from './routes/events/index.ts';
import healthRoutes from './routes/health/index.ts';
import modelRoutes from './routes/models/index.ts';
import sessionRoutes from './routes/session/index.ts';
import webhookRoutes from './routes/webhooks/index.ts';

/** JSON bodies (camera configs, webhook subscriptions) are small; uploads have their own limit. */
const JSON_BODY_LIMIT = 256 * 1024;

export interface AppOptions {
  /** Open SSE streams per process (each holds a Redis connection). */
  maxEventStreams?: number;
}

/** Fastify's types take a hop count only as a function: trust the nearest `hops` proxies. */
function trustProxyOption(setting: false | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** Builds the API as a Fastify instance that never listens: server.ts listens, tests call inject(). */
export async function buildApp(deps: ApiDeps, opts: AppOptions = {}): Promise<ApiApp> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Fastify's own request lines log the full URL, which may hold an SSE access token; request-metrics logs a redacted line.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: JSON_BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // SSE streams are hijacked responses: closing the app must not wait for them.
    forceCloseConnections: true,
    // request.ip (rate limits by address, logs) believes X-Forwarded-For only from configured proxies.
    trustProxy: trustProxyOption(deps.config.api.trustProxy),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('deps', deps);
  installErrorHandler(app);
  installSecurityHeaders(app);
  installRequestMetrics(app);
  installAuth(app);
  await registerOpenApi(app);

  await app.register(healthRoutes);
  await app.register(dashboardRoutes);
  await app.register(
    async (v1) => {
      await v1.register(cameraRoutes);
      await v1.register(alertRoutes);
      await v1.register(eventRoutes, { maxStreams: opts.maxEventStreams });
      await v1.register(webhookRoutes);
      await v1.register(detectRoutes);
      await v1.register(modelRoutes);
      await v1.register(apiKeyRoutes);
      await v1.register(sessionRoutes);
    },
    { prefix: '/v1' },
  );
  await app.ready();
  return app as unknown as ApiApp;
}
