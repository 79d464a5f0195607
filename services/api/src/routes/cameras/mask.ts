import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CameraConfig } from '@riverwatch/common';
import type { Principal } from '../../fastify-types.ts';
import { notFound } from '../../http-error.ts';
import { errorResponses, IdParams, TimeParam } from '../../schemas/common.ts';
import { parseTimeParam } from '../../time-param.ts';

const MaskQuery = Type.Object({
  at: Type.Optional({ ...TimeParam, description: 'the mask in use at this time (from the history); omitted: the current mask' }),
});

/**
 * GET /v1/cameras/:id/mask.png: the water mask the worker filters this camera's detections
 * with (white = water), or with ?at= the one in use at that time: how the water level moved.
 */
const maskRoute: FastifyPluginAsyncTypebox<{ visibleCamera(p: Principal | null, id: string): Promise<CameraConfig> }> = async (app, opts) => {
  const { waterMasks } = app.deps;
  app.get(
    '/cameras/:id/mask.png',
    { schema: { tags: ['cameras'], params: IdParams, querystring: MaskQuery, response: { 200: Type.Unknown({ description: 'PNG, 255 = water' }), ...errorResponses(400, 404) } } },
    async (request, reply) => {
      const camera = await opts.visibleCamera(request.principal, request.params.id);
      const at = parseTimeParam('at', request.query.at);
      const mask = at === undefined ? await waterMasks.current(camera.id) : await waterMasks.at(camera.id, at);
      if (!mask) throw notFound(at === undefined ? `water mask of camera ${camera.id} (none segmented yet)` : `water mask of camera ${camera.id} at or before ${new Date(at).toISOString()}`);
      reply.type('image/png').header('cache-control', 'private, max-age=60').header('x-mask-captured-at', String(mask.at));
      if (mask.version) reply.header('x-mask-model-version', mask.version);
      return reply.send(mask.png);
    },
  );
};

export default maskRoute;
