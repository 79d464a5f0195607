import { Type } from '@fastify/type-provider-typebox';

export const SessionView = Type.Object({
  name: Type.String(),
  role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]),
  cameras: Type.Array(Type.String(), { description: 'the cameras this key is limited to; empty: all' }),
});
