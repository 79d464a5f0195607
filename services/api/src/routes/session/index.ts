import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SessionView } from '../../schemas/session.ts';

/** GET /v1/session: who the key is, so a client (the dashboard) shows only the controls its role may use. */
const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/session', { schema: { tags: ['session'], response: { 200: SessionView } } }, async (request) => {
    const { name, role, cameras } = request.principal!;
    return { name, role, cameras };
  });
};

export default sessionRoutes;
