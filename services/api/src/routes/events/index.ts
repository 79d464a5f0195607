import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { gauge, type LiveEvent } from '@riverwatch/common';
import { badRequest, HttpError, notFound } from '../../http-error.ts';
import { securityHeaders } from '../../plugins/security-headers.ts';
import { errorResponses } from '../../schemas/common.ts';
import { EventsQuery } from '../../schemas/events.ts';
import { canSeeCamera } from '../../security/api-key.ts';

/** XREAD blocks this long; a quiet stream then gets a comment line, which keeps proxies from closing it. */
const HEARTBEAT_MS = 15_000;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** Each stream holds a Redis connection of its own: past this many per process, new ones are turned away. */
export const DEFAULT_MAX_STREAMS = 1000;

const sseClients = gauge({ name: 'riverwatch_api_sse_clients', help: 'Open Server-Sent Events streams' });

/**
 * GET /v1/events: Server-Sent Events from the shared live-event stream. Each
 * client reads the Redis stream itself (XREAD BLOCK), so every API replica
 * serves every event; the SSE id is the stream id, so Last-Event-ID resumes
 * exactly where the client left off.
 */
const eventRoutes: FastifyPluginAsyncTypebox<{ maxStreams?: number }> = async (app, opts) => {
  const maxStreams = opts.maxStreams ?? DEFAULT_MAX_STREAMS;
  const { events } = app.deps;
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of [...open]) stop();
  });

  app.get(
    '/events',
    { config: { queryToken: true }, schema: { tags: ['events'], querystring: EventsQuery, response: errorResponses(400, 404, 503) } },
    async (request, reply) => {
      const principal = request.principal!;
      const { camera, types } = request.query;
      if (camera && !canSeeCamera(principal, camera)) throw notFound(`camera ${camera}`);
      const header = request.headers['last-event-id'];
      const lastEventId = (Array.isArray(header) ? header[0] : header) || request.query.lastEventId;
      if (lastEventId && !STREAM_ID.test(lastEventId)) throw badRequest('Last-Event-ID must be an id this stream sent (like 1700000000000-0)');
      if (open.size >= maxStreams) throw new HttpError(503, 'too many live event streams on this replica; retry shortly', { 'retry-after': '5' });
      const wanted = types ? new Set(types.split(',').filter(Boolean)) : null;
      const visible = (e: LiveEvent) =>
        (!camera || e.cameraId === camera) &&
        (!wanted || wanted.has(e.type)) &&
        (principal.cameras.length === 0 || (e.cameraId !== null && principal.cameras.includes(e.cameraId)));

      let cursor = lastEventId ?? (await events.latestId());
      const reader = events.openReader();
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...securityHeaders(),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');

      let running = true;
      const stop = () => {
        if (!running) return;
        running = false;
        open.delete(stop);
        sseClients.dec();
        reader.close();
        res.end();
      };
      open.add(stop);
      sseClients.inc();
      res.on('close', stop);

      while (running) {
        try {
          const batch = await reader.read(cursor, HEARTBEAT_MS);
          if (!running) break;
          if (!batch.length) {
            res.write(': keep-alive\n\n');
            continue;
          }
          for (const { streamId, event } of batch) {
            cursor = streamId;
            if (event && visible(event)) res.write(`id: ${streamId}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
          }
        } catch (err) {
          if (running) request.log.warn({ err: (err as Error).message }, 'live event stream read failed; closing the SSE stream');
          break;
        }
      }
      stop();
    },
  );
};

export default eventRoutes;
