import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { QueueName, counter, createRedis, type LiveEvent, type Logger, type RedisKeys, type RiverwatchConfig, type WebhookJob } from '@riverwatch/common';
import type { DeliveryLogEntry, WebhookRepository } from '../repositories/webhook-repository.ts';
import { WebhookAllowList } from './address-guard.ts';
import { RefusedAddressError } from './guarded-lookup.ts';
import { parseRetryAfter, retryDelayMs, withRetryAfter } from './retry-schedule.ts';
import { WebhookSender } from './webhook-sender.ts';
import { signWebhook } from './webhook-signature.ts';

const deliveries = counter({
  name: 'riverwatch_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome',
  labelNames: ['outcome'],
});

/** A failed attempt that will be retried after delayMs (read by the custom backoff strategy). */
class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

export interface NotifierOptions {
  redisUrl: string;
  keys: RedisKeys;
  api: RiverwatchConfig['api'];
  webhooks: WebhookRepository;
  logger: Logger;
  concurrency?: number;
}

/**
 * Delivers webhook jobs per Standard Webhooks: signed, the same webhook-id on
 * every attempt, retried on the 'webhook' backoff (which honours Retry-After),
 * dead-lettered on the last attempt; a 410 disables the subscription.
 */
export class WebhookNotifier {
  private readonly worker: Worker<WebhookJob>;
  private readonly sender: WebhookSender;
  /** BullMQ leaves a connection it was given open on close, so the notifier closes it itself. */
  private readonly conn;

  constructor(private readonly opts: NotifierOptions) {
    this.sender = new WebhookSender(new WebhookAllowList(opts.api.webhookAllowHosts), opts.api.webhookTimeoutMs);
    this.conn = createRedis(opts.redisUrl, 'blocking');
    this.conn.on('error', (err) => opts.logger.warn({ err: err.message }, 'notifier redis connection error'));
    this.worker = new Worker<WebhookJob>(QueueName.webhooks, (job) => this.deliver(job), {
      connection: this.conn,
      prefix: opts.keys.queuePrefix,
      concurrency: opts.concurrency ?? 16,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
          err instanceof RetryLaterError ? err.delayMs : retryDelayMs(attemptsMade, opts.api.webhookRetryBaseMs),
      },
    });
    this.worker.on('error', (err) => opts.logger.error({ err }, 'webhook notifier error'));
  }

  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker.close();
    this.conn.disconnect();
  }

  private async deliver(job: Job<WebhookJob>): Promise<{ outcome: string; status?: number }> {
    const { subscriptionId, messageId, eventType, payload } = job.data;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    // The ids inside the event (alert, camera) too: a delivery can be followed back to its alert and frame.
    const log = this.opts.logger.child({ subscriptionId, messageId, attempt, eventType, ...eventIds(payload) });
    const sub = await this.opts.webhooks.get(subscriptionId);
    const started = Date.now();
    const record = async (entry: Omit<DeliveryLogEntry, 'messageId' | 'eventType' | 'attempt' | 'at' | 'durationMs'>) => {
      deliveries.inc({ outcome: entry.outcome });
      await this.opts.webhooks.logDelivery(subscriptionId, { messageId, eventType, attempt, at: started, durationMs: Date.now() - started, ...entry });
    };
    if (!sub || !sub.enabled) {
      if (sub) await record({ status: null, outcome: 'skipped', error: 'subscription disabled', retryInMs: null });
      return { outcome: 'skipped' };
    }

    // The body is fixed by the event, so every attempt carries the same content under the same id.
    const at = (payload as { at?: number } | null)?.at ?? started;
    const body = JSON.stringify({ type: eventType, timestamp: new Date(at).toISOString(), data: payload });
    const timestamp = Math.floor(started / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'riverwatch-webhooks/1',
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(sub.secrets, messageId, timestamp, body),
    };

    let status: number | null = null;
    let retryAfter: number | null = null;
    let failure: string;
    try {
      const res = await this.sender.send(sub.url, headers, body);
      status = res.status;
      if (status >= 200 && status < 300) {
        await record({ status, outcome: 'delivered', error: null, retryInMs: null });
        log.info({ status }, 'webhook delivered');
        return { outcome: 'delivered', status };
      }
      if (status === 410) {
        // The receiver says the endpoint is gone for good: stop sending it anything.
        await this.opts.webhooks.disable(sub.id, `endpoint answered 410 Gone at ${new Date().toISOString()}`);
        await record({ status, outcome: 'disabled', error: 'HTTP 410 Gone', retryInMs: null });
        log.warn('webhook endpoint answered 410; subscription disabled');
        return { outcome: 'disabled', status };
      }
      retryAfter = parseRetryAfter(res.retryAfter);
      failure = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
    } catch (err) {
      failure = (err as Error).message;
      if (err instanceof RefusedAddressError) {
        await record({ status: null, outcome: 'refused', error: failure, retryInMs: null });
        await this.deadLetter(job, attempt, failure);
        log.warn({ err: failure }, 'webhook target refused by the address guard');
        throw new UnrecoverableError(failure);
      }
    }

    if (attempt >= maxAttempts) {
      await record({ status, outcome: 'failed', error: failure, retryInMs: null });
      await this.deadLetter(job, attempt, failure);
      log.warn({ err: failure }, 'webhook delivery failed on its last attempt; dead-lettered');
      throw new UnrecoverableError(failure);
    }
    const delay = withRetryAfter(retryDelayMs(attempt, this.opts.api.webhookRetryBaseMs), retryAfter);
    await record({ status, outcome: 'retrying', error: failure, retryInMs: delay });
    log.info({ err: failure, retryInMs: delay }, 'webhook delivery failed; will retry');
    throw new RetryLaterError(failure, delay);
  }

  private async deadLetter(job: Job<WebhookJob>, attempts: number, lastError: string): Promise<void> {
    const { subscriptionId, messageId, eventType, payload } = job.data;
    await this.opts.webhooks.pushDeadLetter({ messageId, subscriptionId, eventType, payload, attempts, failedAt: Date.now(), lastError });
  }
}

/** The event, alert and camera a delivery is about, for logs (the payload is the LiveEvent). */
function eventIds(payload: unknown): { eventId?: string; alertId?: string; cameraId?: string } {
  const event = payload as Partial<LiveEvent> | null;
  const alert = event?.data?.alert as { id?: unknown } | undefined;
  const ids: { eventId?: string; alertId?: string; cameraId?: string } = {};
  if (typeof event?.id === 'string') ids.eventId = event.id;
  if (typeof alert?.id === 'string') ids.alertId = alert.id;
  if (typeof event?.cameraId === 'string') ids.cameraId = event.cameraId;
  return ids;
}
