import { Type } from '@fastify/type-provider-typebox';
import { DetectionView } from './detect.ts';

export const LiveFrameView = Type.Object({
  cameraId: Type.String(),
  frameId: Type.String(),
  capturedAt: Type.Number(),
  width: Type.Integer(),
  height: Type.Integer(),
  detections: Type.Array(DetectionView, { description: 'debris that passed the filter (score, water, zones), with track ids' }),
  imageUrl: Type.String({ description: 'the frame itself (JPEG, without boxes: clients draw them)' }),
});
