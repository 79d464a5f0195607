import type { FastifyInstance } from 'fastify';
import { counter, histogram } from '@riverwatch/common';

const requests = counter({ name: 'riverwatch_api_requests_total', help: 'API requests by route and status', labelNames: ['method', 'route', 'status'] });
const duration = histogram({
  name: 'riverwatch_api_request_duration_seconds',
  help: 'API request duration by route',
  labelNames: ['method', 'route'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

/** Request metrics and one access-log line per request (the URL without its query, which may hold an access token). */
export function installRequestMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    request.log.info({ method: request.method, route, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
}
