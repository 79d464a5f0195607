import { Type } from '@fastify/type-provider-typebox';

/** Every error response: status, its name, and a message a client can act on (5xx messages say nothing internal). */
export const ErrorBody = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String() });

export function errorResponses(...codes: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(codes.map((c) => [c, ErrorBody]));
}

/** Ids end up inside Redis keys and hash tags: letters, digits, _ and - only. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
export const IdParams = Type.Object({ id: Id });

/** Epoch milliseconds or an ISO-8601 date. */
export const TimeParam = Type.String({ maxLength: 40, description: 'epoch milliseconds or ISO-8601 time' });

export const ModelName = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });

export const NullableString = Type.Union([Type.String(), Type.Null()]);
export const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/** Records of numbers keyed by class name. */
export const ClassCounts = Type.Record(Type.String(), Type.Number());
