import type { AddressInfo } from 'node:net';
import { EvidenceStore, stopOnce, type RunningService, type ServiceContext } from '@riverwatch/common';
import { buildApp } from './app.ts';
import { createApiDeps } from './deps.ts';
import { WebhookNotifier } from './webhooks/notifier.ts';

export interface RunningApi extends RunningService {
  readonly port: number;
}

/** The api service: the HTTP API on config.api.host/port, and the webhook notifier unless WEBHOOK_NOTIFIER=false. */
export async function start(ctx: ServiceContext): Promise<RunningApi> {
  const { config, logger } = ctx;
  const deps = await createApiDeps(ctx);
  try {
    await EvidenceStore.fromConfig(config.s3, ctx.s3Endpoint).ensureBuckets(['snapshots']);
  } catch (err) {
    // Not fatal: snapshots answer 5xx until S3 is back, and /readyz says so.
    logger.warn({ err: (err as Error).message }, 'could not ensure the snapshots bucket');
  }
  const app = await buildApp(deps);
  let notifier: WebhookNotifier | null = null;
  try {
    await app.listen({ host: config.api.host, port: config.api.port });
    if (config.api.webhookNotifier) {
      notifier = new WebhookNotifier({ redisUrl: ctx.redisUrl, keys: deps.keys, api: config.api, webhooks: deps.webhooks, logger: logger.child({ component: 'notifier' }) });
      await notifier.waitUntilReady();
    }
  } catch (err) {
    await app.close();
    await deps.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ port, notifier: !!notifier }, 'api listening');
  return {
    name: 'api',
    port,
    stop: stopOnce(async () => {
      await app.close();
      await notifier?.close();
      await deps.close();
    }),
  };
}
