import { Type, type Static } from '@fastify/type-provider-typebox';
import { ModelName, NullableNumber, NullableString } from './common.ts';

const Point = Type.Tuple([Type.Number(), Type.Number()]);
const Polygon = Type.Array(Point, { minItems: 3, maxItems: 256 });
const Zones = Type.Object(
  { include: Type.Array(Polygon, { maxItems: 32 }), exclude: Type.Array(Polygon, { maxItems: 32 }) },
  { additionalProperties: false },
);
const Share = Type.Number({ minimum: 0, maximum: 1 });

export const AlertRulesSchema = Type.Object(
  {
    minScore: Share,
    minScoreByClass: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Share)),
    minCount: Type.Integer({ minimum: 1, maximum: 10_000 }),
    persistence: Type.Object({ n: Type.Integer({ minimum: 1, maximum: 1000 }), m: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false }),
    coverage: Type.Object({ threshold: Share, growthPerMinute: Share }, { additionalProperties: false }),
    resolveAfterSeconds: Type.Integer({ minimum: 0, maximum: 86_400 }),
    cooldownSeconds: Type.Integer({ minimum: 0, maximum: 86_400 }),
    minWaterOverlap: Share,
  },
  { additionalProperties: false },
);

/** Overrides of the detector's tiling (its config.json); each field optional. */
const TilingOverrideSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    tileWidth: Type.Optional(Type.Integer({ minimum: 32, maximum: 8192 })),
    tileHeight: Type.Optional(Type.Integer({ minimum: 32, maximum: 8192 })),
    overlap: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5 })),
    fullFrame: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: "overrides the detector's tiling for this camera (tiles in frame pixels, overlap as a share of a tile)" },
);

const cameraFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  sourceUrl: Type.String({ minLength: 1, maxLength: 2048, description: 'rtsp(s)://, rtmp://, http(s):// or file:// URL; credentials in it are never returned' }),
  fps: Type.Number({ exclusiveMinimum: 0, maximum: 30 }),
  maxWidth: Type.Integer({ minimum: 64, maximum: 7680 }),
  zones: Zones,
  rules: Type.Partial(AlertRulesSchema, { additionalProperties: false }),
  detectorModel: ModelName,
  segmenterModel: ModelName,
  segmentEveryFrames: Type.Integer({ minimum: 1, maximum: 100_000 }),
  segmentMaxAgeSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  enabled: Type.Boolean(),
  tiling: TilingOverrideSchema,
};

export const CameraCreateBody = Type.Object(
  {
    name: cameraFields.name,
    sourceUrl: cameraFields.sourceUrl,
    fps: Type.Optional(cameraFields.fps),
    maxWidth: Type.Optional(cameraFields.maxWidth),
    zones: Type.Optional(cameraFields.zones),
    rules: Type.Optional(cameraFields.rules),
    detectorModel: Type.Optional(cameraFields.detectorModel),
    segmenterModel: Type.Optional(cameraFields.segmenterModel),
    segmentEveryFrames: Type.Optional(cameraFields.segmentEveryFrames),
    segmentMaxAgeSeconds: Type.Optional(cameraFields.segmentMaxAgeSeconds),
    enabled: Type.Optional(cameraFields.enabled),
    tiling: Type.Optional(cameraFields.tiling),
  },
  { additionalProperties: false },
);
export type CameraCreate = Static<typeof CameraCreateBody>;

export const CameraPatchBody = Type.Partial(CameraCreateBody, { additionalProperties: false, minProperties: 1 });
export type CameraPatch = Static<typeof CameraPatchBody>;

export const CameraView = Type.Object({
  id: Type.String(),
  ...cameraFields,
  rules: AlertRulesSchema,
  tiling: Type.Optional(cameraFields.tiling),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});

export const CameraList = Type.Object({ items: Type.Array(CameraView) });

export const CameraStatusView = Type.Object({
  cameraId: Type.String(),
  /** 'unknown' until ingest reports. */
  state: Type.String(),
  replica: NullableString,
  fpsIn: Type.Number(),
  fpsOut: Type.Number(),
  framesIn: Type.Number(),
  framesOut: Type.Number(),
  drops: Type.Number(),
  reconnects: Type.Number(),
  corrupt: Type.Number(),
  stalls: Type.Number(),
  retryInMs: Type.Number(),
  lastFrameAt: NullableNumber,
  lastError: NullableString,
  updatedAt: NullableNumber,
});
export type CameraStatusViewT = Static<typeof CameraStatusView>;
