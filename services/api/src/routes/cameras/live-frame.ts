import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CameraConfig, LiveFrame } from '@riverwatch/common';
import type { Principal } from '../../fastify-types.ts';
import { notFound } from '../../http-error.ts';
import { errorResponses, IdParams } from '../../schemas/common.ts';
import { LiveFrameView } from '../../schemas/live-frame.ts';

/**
 * The camera's newest processed frame: GET /v1/cameras/:id/frame (what was detected, with
 * track ids) and /v1/cameras/:id/frame.jpg (the picture). The dashboard draws the boxes itself
 * so that an operator can switch them and the water mask on and off.
 */
const liveFrameRoute: FastifyPluginAsyncTypebox<{ visibleCamera(p: Principal | null, id: string): Promise<CameraConfig> }> = async (app, opts) => {
  const { liveFrames } = app.deps;

  async function latest(principal: Principal | null, id: string): Promise<LiveFrame> {
    const camera = await opts.visibleCamera(principal, id);
    const frame = await liveFrames.latest(camera.id);
    if (!frame) throw notFound(`latest frame of camera ${camera.id} (none processed in the last hour)`);
    return frame;
  }

  app.get('/cameras/:id/frame', { schema: { tags: ['cameras'], params: IdParams, response: { 200: LiveFrameView, ...errorResponses(404) } } }, async (request) => {
    const { jpeg: _jpeg, ...frame } = await latest(request.principal, request.params.id);
    return { cameraId: request.params.id, ...frame, imageUrl: `/v1/cameras/${request.params.id}/frame.jpg` };
  });

  app.get(
    '/cameras/:id/frame.jpg',
    { schema: { tags: ['cameras'], params: IdParams, response: { 200: Type.Unknown({ description: 'JPEG' }), ...errorResponses(404) } } },
    async (request, reply) => {
      const frame = await latest(request.principal, request.params.id);
      return reply.type('image/jpeg').header('x-frame-id', frame.frameId).header('x-captured-at', String(frame.capturedAt)).send(frame.jpeg);
    },
  );
};

export default liveFrameRoute;
