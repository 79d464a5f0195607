import { Type } from '@fastify/type-provider-typebox';
import { Id, NullableNumber, NullableString } from './common.ts';

const EventType = Type.String({ pattern: '^(\\*|[a-z_]+\\.[a-z_]+)$', maxLength: 64 });
const Secret = Type.String({ pattern: '^whsec_[A-Za-z0-9+/]{32,}={0,2}$', description: 'Standard Webhooks secret: whsec_ + base64 of at least 24 bytes' });

export const WebhookCreateBody = Type.Object(
  {
    url: Type.String({ minLength: 8, maxLength: 2048 }),
    events: Type.Array(EventType, { minItems: 1, maxItems: 32, default: ['*'] }),
    cameras: Type.Array(Id, { maxItems: 1000, default: [] }),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);

export const WebhookPatchBody = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 8, maxLength: 2048 })),
    events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: 32 })),
    cameras: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  cameras: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: NullableString,
  createdAt: Type.Number(),
  /** 2 while a rotation keeps the previous secret signing too. */
  activeSecrets: Type.Integer(),
});

/** Only creation and rotation responses carry the secret. */
export const WebhookWithSecret = Type.Object({ ...WebhookView.properties, secret: Type.String() });

export const WebhookList = Type.Object({ items: Type.Array(WebhookView) });

export const RotateBody = Type.Union([Type.Object({ secret: Type.Optional(Secret) }, { additionalProperties: false }), Type.Null()]);

export const DeliveryView = Type.Object({
  messageId: Type.String(),
  eventType: Type.String(),
  attempt: Type.Integer(),
  at: Type.Number(),
  status: NullableNumber,
  outcome: Type.String(),
  error: NullableString,
  retryInMs: NullableNumber,
  durationMs: Type.Number(),
});
export const DeliveryList = Type.Object({ items: Type.Array(DeliveryView) });

export const DeadLetterView = Type.Object({
  messageId: Type.String(),
  subscriptionId: Type.String(),
  eventType: Type.String(),
  payload: Type.Unknown(),
  attempts: Type.Integer(),
  failedAt: Type.Number(),
  lastError: Type.String(),
});
export const DeadLetterList = Type.Object({ items: Type.Array(DeadLetterView) });

export const MessageIdParams = Type.Object({ messageId: Type.String({ pattern: '^msg_[A-Za-z0-9_]{1,80}$' }) });
export const QueuedMessage = Type.Object({ messageId: Type.String(), jobId: Type.String() });
export const LimitQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }, { additionalProperties: false });
