import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { cameraEventJobOptions, type CameraConfig } from '@riverwatch/common';
import { cameraView, newCamera, patchCamera } from '../../cameras/camera-config.ts';
import { cameraStatusView } from '../../cameras/camera-status.ts';
import { HttpError, notFound } from '../../http-error.ts';
import { CameraCreateBody, CameraList, CameraPatchBody, CameraStatusView, CameraView } from '../../schemas/cameras.ts';
import { errorResponses, IdParams } from '../../schemas/common.ts';
import { canSeeCamera } from '../../security/api-key.ts';
import historyRoute from './history.ts';
import liveFrameRoute from './live-frame.ts';
import maskRoute from './mask.ts';

const tags = ['cameras'];

const cameraRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { cameras, publisher, config, cameraEventQueue } = app.deps;

  /** The camera, or 404 when it does not exist or this key may not see it. */
  async function visibleCamera(principal: Parameters<typeof canSeeCamera>[0], id: string): Promise<CameraConfig> {
    const camera = canSeeCamera(principal, id) ? await cameras.get(id) : null;
    if (!camera) throw notFound(`camera ${id}`);
    return camera;
  }

  app.get('/cameras', { schema: { tags, response: { 200: CameraList } } }, async (request) => {
    const all = await cameras.list();
    return { items: all.filter((c) => canSeeCamera(request.principal, c.id)).map(cameraView) };
  });

  app.post(
    '/cameras',
    { config: { role: 'operator' }, schema: { tags, body: CameraCreateBody, response: { 201: CameraView, ...errorResponses(400, 403) } } },
    async (request, reply) => {
      if (request.principal!.cameras.length) throw new HttpError(403, 'a key limited to cameras cannot create cameras');
      const camera = newCamera(request.body, config);
      await cameras.save(camera);
      await publisher.publish({ type: 'camera.created', cameraId: camera.id, data: { camera: cameraView(camera) } });
      return reply.status(201).send(cameraView(camera));
    },
  );

  app.get('/cameras/:id', { schema: { tags, params: IdParams, response: { 200: CameraView, ...errorResponses(404) } } }, async (request) =>
    cameraView(await visibleCamera(request.principal, request.params.id)),
  );

  app.patch(
    '/cameras/:id',
    { config: { role: 'operator' }, schema: { tags, params: IdParams, body: CameraPatchBody, response: { 200: CameraView, ...errorResponses(400, 404) } } },
    async (request) => {
      const current = await visibleCamera(request.principal, request.params.id);
      const camera = patchCamera(current, request.body);
      await cameras.save(camera);
      await publisher.publish({ type: 'camera.updated', cameraId: camera.id, data: { camera: cameraView(camera) } });
      return cameraView(camera);
    },
  );

  app.delete('/cameras/:id', { config: { role: 'operator' }, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorResponses(404) } } }, async (request, reply) => {
    const camera = await visibleCamera(request.principal, request.params.id);
    await cameras.delete(camera.id);
    const event = await publisher.publish({ type: 'camera.deleted', cameraId: camera.id, data: { name: camera.name } });
    // The worker resolves the camera's open alerts and drops its live state (ingest stops pulling on its own).
    await cameraEventQueue.add(
      'camera_deleted',
      { type: 'camera_deleted', cameraId: camera.id, at: event.at },
      cameraEventJobOptions(event.id, 5), // the clean-up retries if Redis or S3 hiccups
    );
    return reply.status(204).send(null);
  });

  app.get('/cameras/:id/status', { schema: { tags, params: IdParams, response: { 200: CameraStatusView, ...errorResponses(404) } } }, async (request) => {
    const camera = await visibleCamera(request.principal, request.params.id);
    return cameraStatusView(camera.id, await cameras.status(camera.id));
  });

  await app.register(historyRoute, { visibleCamera });
  await app.register(maskRoute, { visibleCamera });
  await app.register(liveFrameRoute, { visibleCamera });
};

export default cameraRoutes;
