import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ModelList } from '../../schemas/models.ts';

/** GET /v1/models: what the model repository holds, with each model's shipped evaluation figures. */
const modelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/models', { schema: { tags: ['models'], response: { 200: ModelList } } }, async () => ({
    items: (await app.deps.models.list()).map(({ name, versions, config }) => ({
      name,
      versions,
      task: config.task,
      format: config.format,
      classes: config.classes ?? [],
      input: config.input ?? null,
      thresholds: config.thresholds ?? null,
      evaluation: config.evaluation ?? null,
      config,
    })),
  }));
};

export default modelRoutes;
