import { Type } from '@fastify/type-provider-typebox';
import { ModelName, NullableNumber, NullableString } from './common.ts';

export const DetectQuery = Type.Object({ model: Type.Optional(ModelName) }, { additionalProperties: false });

export const DetectionView = Type.Object({
  classId: Type.Integer(),
  className: Type.String(),
  score: Type.Number(),
  box: Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }),
  onWater: Type.Optional(Type.Number()),
  trackId: Type.Optional(Type.Number()),
});

export const DetectResponse = Type.Object({
  frameId: Type.String(),
  cameraId: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  detections: Type.Array(DetectionView),
  ignored: Type.Integer(),
  coverage: Type.Number(),
  waterShare: NullableNumber,
  models: Type.Object({
    detector: Type.String(),
    detectorVersion: Type.String(),
    segmenter: Type.Optional(Type.String()),
    segmenterVersion: Type.Optional(Type.String()),
  }),
  latencyMs: Type.Object({ total: Type.Number(), inference: Type.Number() }),
  annotatedUrl: Type.String(),
  maskUrl: NullableString,
});

export const FrameIdParams = Type.Object({ frameId: Type.String({ pattern: '^frm_[0-9a-z]{9}[0-9a-f]{12}$' }) });
