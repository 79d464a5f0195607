import { Type } from '@fastify/type-provider-typebox';
import { ClassCounts, TimeParam } from './common.ts';

export const HistoryQuery = Type.Object(
  {
    from: Type.Optional(TimeParam),
    to: Type.Optional(TimeParam),
    bucket: Type.Union([Type.Literal('1m'), Type.Literal('1h'), Type.Literal('1d')], { default: '1h' }),
  },
  { additionalProperties: false },
);

export const FrameSummaryView = Type.Object({
  frameId: Type.String(),
  capturedAt: Type.Number(),
  processedAt: Type.Number(),
  counts: ClassCounts,
  coverage: Type.Number(),
  trackIds: Type.Array(Type.Number()),
  newTracks: Type.Number(),
  models: Type.Record(Type.String(), Type.String()),
  latencyMs: Type.Number(),
});

export const HistoryBucketView = Type.Object({
  start: Type.Number({ description: 'bucket start, epoch ms' }),
  frames: Type.Integer(),
  maxCounts: Type.Object({}, { additionalProperties: Type.Number(), description: 'per class: the most items seen in one frame of the bucket' }),
  meanCounts: Type.Object({}, { additionalProperties: Type.Number(), description: 'per class: items per frame, averaged over the bucket' }),
  coverage: Type.Object({ mean: Type.Number(), max: Type.Number() }),
  uniqueItems: Type.Integer({ description: 'distinct tracked items (track ids) seen in the bucket' }),
});

export const HistoryView = Type.Object({
  cameraId: Type.String(),
  from: Type.Number(),
  to: Type.Number(),
  bucket: Type.String(),
  bucketMs: Type.Number(),
  /** True when the range held more frames than one request reads; the newest were left out. */
  truncated: Type.Boolean(),
  buckets: Type.Array(HistoryBucketView),
  latest: Type.Union([FrameSummaryView, Type.Null()]),
});
