import { deleteKeys, mgetKeys, type Redis, type RedisKeys, type WebhookSubscription } from '@riverwatch/common';

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'disabled' | 'refused' | 'skipped';

/** One attempt in a subscription's delivery log. */
export interface DeliveryLogEntry {
  messageId: string;
  eventType: string;
  attempt: number;
  at: number;
  status: number | null;
  outcome: DeliveryOutcome;
  error: string | null;
  /** When the outcome is 'retrying': how long until the next attempt. */
  retryInMs: number | null;
  durationMs: number;
}

/** A message that ran out of attempts (or was refused); it can be redelivered. */
export interface DeadLetter {
  messageId: string;
  subscriptionId: string;
  eventType: string;
  payload: unknown;
  attempts: number;
  failedAt: number;
  lastError: string;
}

const DELIVERY_LOG_LENGTH = 200;
const DELIVERY_LOG_TTL_SECONDS = 30 * 86_400;
const DEAD_LETTER_LENGTH = 1000;

export class WebhookRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async list(): Promise<WebhookSubscription[]> {
    const ids = await this.redis.smembers(this.keys.webhookIndex());
    if (!ids.length) return [];
    const raw = await mgetKeys(this.redis, ids.map((id) => this.keys.webhook(id)));
    return raw
      .filter((j): j is string => j !== null)
      .map((j) => JSON.parse(j) as WebhookSubscription)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const json = await this.redis.get(this.keys.webhook(id));
    return json ? (JSON.parse(json) as WebhookSubscription) : null;
  }

  async save(sub: WebhookSubscription): Promise<void> {
    await this.redis.set(this.keys.webhook(sub.id), JSON.stringify(sub));
    await this.redis.sadd(this.keys.webhookIndex(), sub.id);
  }

  async delete(id: string): Promise<boolean> {
    const removed = await this.redis.srem(this.keys.webhookIndex(), id);
    await deleteKeys(this.redis, [this.keys.webhook(id), this.keys.webhookDeliveries(id)]);
    return removed > 0;
  }

  async disable(id: string, reason: string): Promise<void> {
    const sub = await this.get(id);
    if (!sub) return;
    await this.save({ ...sub, enabled: false, disabledReason: reason });
  }

  async logDelivery(subscriptionId: string, entry: DeliveryLogEntry): Promise<void> {
    const key = this.keys.webhookDeliveries(subscriptionId);
    await this.redis.multi().lpush(key, JSON.stringify(entry)).ltrim(key, 0, DELIVERY_LOG_LENGTH - 1).expire(key, DELIVERY_LOG_TTL_SECONDS).exec();
  }

  /** Newest first. */
  async deliveries(subscriptionId: string, limit: number): Promise<DeliveryLogEntry[]> {
    const raw = await this.redis.lrange(this.keys.webhookDeliveries(subscriptionId), 0, limit - 1);
    return raw.map((j) => JSON.parse(j) as DeliveryLogEntry);
  }

  async pushDeadLetter(letter: DeadLetter): Promise<void> {
    const key = this.keys.webhookDeadLetters();
    await this.redis.multi().lpush(key, JSON.stringify(letter)).ltrim(key, 0, DEAD_LETTER_LENGTH - 1).exec();
  }

  /** Newest first. */
  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const raw = await this.redis.lrange(this.keys.webhookDeadLetters(), 0, limit - 1);
    return raw.map((j) => JSON.parse(j) as DeadLetter);
  }

  /** Removes and returns a dead letter; null when none has this message id (or another request took it). */
  async takeDeadLetter(messageId: string): Promise<DeadLetter | null> {
    const key = this.keys.webhookDeadLetters();
    for (const json of await this.redis.lrange(key, 0, -1)) {
      const letter = JSON.parse(json) as DeadLetter;
      if (letter.messageId !== messageId) continue;
      // LREM of the exact entry: when two redeliveries race, only one removes it.
      return (await this.redis.lrem(key, 1, json)) > 0 ? letter : null;
    }
    return null;
  }
}
