import { Type } from '@fastify/type-provider-typebox';
import { Id } from './common.ts';

export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]);

export const ApiKeyCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: RoleSchema,
    cameras: Type.Array(Id, { maxItems: 1000, default: [] }),
  },
  { additionalProperties: false },
);

export const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  cameras: Type.Array(Type.String()),
  createdAt: Type.Number(),
});
/** The key itself is shown once, on creation; only its hash is stored. */
export const ApiKeyCreated = Type.Object({ ...ApiKeyView.properties, key: Type.String() });
export const ApiKeyList = Type.Object({ items: Type.Array(ApiKeyView) });
