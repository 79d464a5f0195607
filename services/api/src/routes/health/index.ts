import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { collectProcessMetrics, metricsRegistry } from '@riverwatch/common';

const Readiness = Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.Boolean()) });

/** Probes and metrics: public, outside /v1, and /healthz touches no dependency. */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  collectProcessMetrics();
  const pub = { role: 'public' as const };
  app.get('/healthz', { config: pub, schema: { tags: ['ops'], response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: pub, schema: { tags: ['ops'], response: { 200: Readiness, 503: Readiness } } }, async (_request, reply) => {
    const checks = await app.deps.probe.check();
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  // The process-wide registry: with --services all it holds every service's metrics.
  app.get('/metrics', { config: pub, schema: { tags: ['ops'], hide: true } }, async (_request, reply) =>
    reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );
};

export default healthRoutes;
