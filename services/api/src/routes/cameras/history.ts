import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CameraConfig } from '@riverwatch/common';
import type { Principal } from '../../fastify-types.ts';
import { aggregateHistory, BUCKET_MS, DEFAULT_SPAN_MS } from '../../history/aggregate-history.ts';
import { badRequest } from '../../http-error.ts';
import { errorResponses, IdParams } from '../../schemas/common.ts';
import { HistoryQuery, HistoryView } from '../../schemas/history.ts';
import { parseTimeParam } from '../../time-param.ts';

const MAX_BUCKETS = 10_000;
/** One request reads at most this many summaries (a day at 1 fps is 86 400). */
const MAX_FRAMES = 200_000;

const historyRoute: FastifyPluginAsyncTypebox<{ visibleCamera(p: Principal | null, id: string): Promise<CameraConfig> }> = async (app, opts) => {
  const { history } = app.deps;
  app.get(
    '/cameras/:id/history',
    { schema: { tags: ['cameras'], params: IdParams, querystring: HistoryQuery, response: { 200: HistoryView, ...errorResponses(400, 404) } } },
    async (request) => {
      const camera = await opts.visibleCamera(request.principal, request.params.id);
      const bucket = request.query.bucket;
      const bucketMs = BUCKET_MS[bucket];
      const to = parseTimeParam('to', request.query.to) ?? Date.now();
      const from = parseTimeParam('from', request.query.from) ?? to - DEFAULT_SPAN_MS[bucket];
      if (from > to) throw badRequest('from must not be after to');
      if ((to - from) / bucketMs > MAX_BUCKETS) throw badRequest(`the range spans more than ${MAX_BUCKETS} ${bucket} buckets; use a larger bucket or a shorter range`);
      const summaries = await history.range(camera.id, from, to, MAX_FRAMES + 1);
      const truncated = summaries.length > MAX_FRAMES;
      return {
        cameraId: camera.id,
        from,
        to,
        bucket,
        bucketMs,
        truncated,
        buckets: aggregateHistory(truncated ? summaries.slice(0, MAX_FRAMES) : summaries, bucketMs),
        latest: await history.latest(camera.id),
      };
    },
  );
};

export default historyRoute;
