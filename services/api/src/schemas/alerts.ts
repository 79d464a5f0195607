import { Type } from '@fastify/type-provider-typebox';
import { ClassCounts, Id, NullableNumber, NullableString, TimeParam } from './common.ts';

export const AlertTypeSchema = Type.Union([Type.Literal('debris'), Type.Literal('accumulation'), Type.Literal('camera_offline'), Type.Literal('view_blocked')]);
export const AlertStatusSchema = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved'), Type.Literal('rejected')]);

export const AlertView = Type.Object({
  id: Type.String(),
  cameraId: Type.String(),
  type: AlertTypeSchema,
  status: AlertStatusSchema,
  openedAt: Type.Number(),
  updatedAt: Type.Number(),
  lastSeenAt: Type.Number(),
  resolvedAt: NullableNumber,
  frames: Type.Number(),
  lastFrameId: NullableString,
  classes: ClassCounts,
  maxCoverage: Type.Number(),
  trackIds: Type.Array(Type.Number()),
  snapshotKey: NullableString,
  frameKey: NullableString,
  acknowledgedBy: NullableString,
  note: NullableString,
});

export const AlertListQuery = Type.Object(
  {
    camera: Type.Optional(Id),
    type: Type.Optional(Type.Array(AlertTypeSchema, { maxItems: 4 })),
    status: Type.Optional(Type.Array(AlertStatusSchema, { maxItems: 4 })),
    from: Type.Optional(TimeParam),
    to: Type.Optional(TimeParam),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const AlertPage = Type.Object({ items: Type.Array(AlertView), nextCursor: NullableString });

export const AlertActionBody = Type.Union([Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }), Type.Null()]);

export const SnapshotQuery = Type.Object({ redirect: Type.Optional(Type.Literal('presigned')) }, { additionalProperties: false });
