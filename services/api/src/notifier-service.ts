import { createRedis, RedisKeys, stopOnce, type RunningService, type ServiceContext } from '@riverwatch/common';
import { WebhookRepository } from './repositories/webhook-repository.ts';
import { WebhookNotifier } from './webhooks/notifier.ts';

/**
 * The webhook notifier on its own (no HTTP API), for deployments that scale
 * delivery apart from the API; run the API with WEBHOOK_NOTIFIER=false then.
 */
export async function startNotifier(ctx: ServiceContext): Promise<RunningService> {
  const keys = new RedisKeys(ctx.config.keyPrefix);
  const redis = createRedis(ctx.redisUrl);
  redis.on('error', (err) => ctx.logger.warn({ err: err.message }, 'redis connection error'));
  const notifier = new WebhookNotifier({ redisUrl: ctx.redisUrl, keys, api: ctx.config.api, webhooks: new WebhookRepository(redis, keys), logger: ctx.logger });
  await notifier.waitUntilReady();
  return {
    name: 'notifier',
    stop: stopOnce(async () => {
      await notifier.close();
      redis.disconnect();
    }),
  };
}
