import type { Queue } from 'bullmq';
import type { Redis } from './redis.ts';
import type { LiveEvent, WebhookSubscription } from './domain.ts';
import { newId } from './ids.ts';
import type { RedisKeys } from './keys.ts';
import { WEBHOOK_JOB_OPTIONS, type WebhookJob } from './queues.ts';

/** Live events are kept in one capped stream; SSE readers on any API replica XREAD it. */
const EVENT_STREAM_MAXLEN = 10_000;

export function subscriptionMatches(sub: WebhookSubscription, event: LiveEvent): boolean {
  if (!sub.enabled) return false;
  if (!sub.events.includes('*') && !sub.events.includes(event.type)) return false;
  if (sub.cameras.length && (!event.cameraId || !sub.cameras.includes(event.cameraId))) return false;
  return true;
}

/**
 * Publishes a live event: appends it to the event stream, and queues one
 * webhook delivery job per matching subscription (job id = message id, so a
 * re-published event is not delivered twice).
 */
export class EventPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly webhooks: Queue<WebhookJob>,
  ) {}

  async publish(input: Omit<LiveEvent, 'id' | 'at'> & { id?: string; at?: number }): Promise<LiveEvent> {
    const event: LiveEvent = { ...input, id: input.id ?? newId('evt'), at: input.at ?? Date.now() };
    await this.redis.xadd(this.keys.events(), 'MAXLEN', '~', EVENT_STREAM_MAXLEN, '*', 'json', JSON.stringify(event));
    const ids = await this.redis.smembers(this.keys.webhookIndex());
    if (!ids.length) return event;
    // GETs, not MGET: the keys need not share a Cluster slot.
    const raw = await Promise.all(ids.map((id) => this.redis.get(this.keys.webhook(id))));
    for (const json of raw) {
      if (!json) continue;
      const sub = JSON.parse(json) as WebhookSubscription;
      if (!subscriptionMatches(sub, event)) continue;
      const messageId = `msg_${event.id.slice(4)}_${sub.id.slice(-8)}`;
      await this.webhooks.add(
        'deliver',
        { subscriptionId: sub.id, messageId, eventType: event.type, payload: event },
        { ...WEBHOOK_JOB_OPTIONS, jobId: messageId },
      );
    }
    return event;
  }
}
