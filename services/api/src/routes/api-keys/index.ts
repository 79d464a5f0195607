import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { newId } from '@riverwatch/common';
import { badRequest, notFound } from '../../http-error.ts';
import type { ApiKeyRecord } from '../../repositories/api-key-repository.ts';
import { ApiKeyCreateBody, ApiKeyCreated, ApiKeyList } from '../../schemas/api-keys.ts';
import { errorResponses, IdParams } from '../../schemas/common.ts';
import { hashApiKey, newApiKey } from '../../security/api-key.ts';

const tags = ['api keys'];

/** Key management (admin): the key is returned once; only its SHA-256 is stored. */
const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { apiKeys } = app.deps;
  const admin = { role: 'admin' as const };

  app.get('/api-keys', { config: admin, schema: { tags, response: { 200: ApiKeyList } } }, async () => ({ items: await apiKeys.list() }));

  app.post('/api-keys', { config: admin, schema: { tags, body: ApiKeyCreateBody, response: { 201: ApiKeyCreated, ...errorResponses(400) } } }, async (request, reply) => {
    const { name, role, cameras } = request.body;
    if (role === 'admin' && cameras.length) throw badRequest('admin keys cannot be limited to cameras');
    const key = newApiKey();
    const record: ApiKeyRecord = { id: newId('key'), name, role, cameras: [...new Set(cameras)], createdAt: Date.now() };
    await apiKeys.create(record, hashApiKey(key));
    return reply.status(201).send({ ...record, key });
  });

  app.delete('/api-keys/:id', { config: admin, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorResponses(404) } } }, async (request, reply) => {
    if (!(await apiKeys.delete(request.params.id))) throw notFound(`API key ${request.params.id}`);
    return reply.status(204).send(null);
  });
};

export default apiKeyRoutes;
