import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { isRedisUnavailable } from '@riverwatch/common';
import { HttpError } from '../http-error.ts';

/**
 * One error shape for every failure. 4xx messages tell the client what to fix;
 * unexpected 5xx details stay in the log (with the request id) and never reach the client.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    const statusCode = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (err instanceof HttpError) reply.headers(err.headers);
    // Redis down or not answering within API_REDIS_TIMEOUT_MS: a clear 503 the client may retry, not a 500.
    if (isRedisUnavailable(err)) {
      request.log.warn({ err: (err as Error).message, reqId: request.id }, 'redis unavailable');
      return reply.status(503).header('retry-after', '1').send({ statusCode: 503, error: STATUS_CODES[503], message: 'storage (Redis) unavailable; retry shortly' });
    }
    // HttpError messages are written for clients (a 504 "detection did not finish in time"); anything else that is a 5xx is hidden.
    if (statusCode >= 500 && !(err instanceof HttpError)) {
      request.log.error({ err, reqId: request.id }, 'request failed');
      return reply.status(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message: `internal error (request ${request.id})` });
    }
    return reply.status(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
