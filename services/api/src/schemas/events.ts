import { Type } from '@fastify/type-provider-typebox';
import { Id } from './common.ts';

export const EventsQuery = Type.Object(
  {
    camera: Type.Optional(Id),
    /** Comma-separated event types, e.g. alert.opened,alert.resolved. */
    types: Type.Optional(Type.String({ pattern: '^[a-z_.,]{1,400}$' })),
    /** For EventSource, which cannot send an Authorization header. */
    access_token: Type.Optional(Type.String({ maxLength: 200 })),
    /** Same as the Last-Event-ID header (which wins when both are sent). */
    lastEventId: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);
