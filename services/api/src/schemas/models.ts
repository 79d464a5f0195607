import { Type } from '@fastify/type-provider-typebox';

export const ModelView = Type.Object({
  name: Type.String(),
  task: Type.String(),
  format: Type.String(),
  versions: Type.Array(Type.Integer()),
  classes: Type.Array(Type.String()),
  input: Type.Unknown(),
  thresholds: Type.Unknown(),
  /** The figures the model was shipped with (mAP, IoU, ...), as its config.json states them. */
  evaluation: Type.Unknown(),
  config: Type.Unknown(),
});
export const ModelList = Type.Object({ items: Type.Array(ModelView) });
