import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AlertRecord } from '@riverwatch/common';
import { ALERT_ACTIONS, applyAlertAction, type AlertAction, type TransitionResult } from '../../alerts/alert-transitions.ts';
import type { Principal } from '../../fastify-types.ts';
import { badRequest, conflict, notFound } from '../../http-error.ts';
import { AlertActionBody, AlertListQuery, AlertPage, AlertView, SnapshotQuery } from '../../schemas/alerts.ts';
import { errorResponses, IdParams } from '../../schemas/common.ts';
import { canSeeCamera } from '../../security/api-key.ts';
import { parseTimeParam } from '../../time-param.ts';

const tags = ['alerts'];

function encodeCursor(last: { openedAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([last.openedAt, last.id])).toString('base64url');
}

function decodeCursor(cursor: string): { openedAt: number; id: string } {
  try {
    const [openedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof openedAt === 'number' && typeof id === 'string') return { openedAt, id };
  } catch {
    // falls through to the 400 below
  }
  throw badRequest('cursor is not one this API returned');
}

const alertRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { alerts, publisher, snapshots } = app.deps;

  async function visibleAlert(principal: Principal | null, id: string): Promise<AlertRecord> {
    const alert = await alerts.get(id);
    if (!alert || !canSeeCamera(principal, alert.cameraId)) throw notFound(`alert ${id}`);
    return alert;
  }

  app.get('/alerts', { schema: { tags, querystring: AlertListQuery, response: { 200: AlertPage, ...errorResponses(400, 404) } } }, async (request) => {
    const q = request.query;
    const principal = request.principal!;
    if (q.camera && !canSeeCamera(principal, q.camera)) throw notFound(`camera ${q.camera}`);
    const cameraIds = q.camera ? [q.camera] : principal.cameras.length ? principal.cameras : null;
    const page = await alerts.page({
      cameraIds,
      types: q.type ?? null,
      statuses: q.status ?? null,
      fromMs: parseTimeParam('from', q.from) ?? null,
      toMs: parseTimeParam('to', q.to) ?? null,
      limit: q.limit,
      after: q.cursor ? decodeCursor(q.cursor) : null,
    });
    return { items: page.items, nextCursor: page.last ? encodeCursor(page.last) : null };
  });

  app.get('/alerts/:id', { schema: { tags, params: IdParams, response: { 200: AlertView, ...errorResponses(404) } } }, async (request) =>
    visibleAlert(request.principal, request.params.id),
  );

  for (const action of Object.keys(ALERT_ACTIONS) as AlertAction[]) {
    app.post(
      `/alerts/:id/${action}`,
      {
        config: { role: 'operator' },
        schema: { tags, params: IdParams, body: AlertActionBody, response: { 200: AlertView, ...errorResponses(404, 409) } },
      },
      async (request) => {
        const principal = request.principal!;
        await visibleAlert(principal, request.params.id);
        let outcome: TransitionResult = { kind: 'unchanged' };
        const updated = await alerts.update(request.params.id, (current) => {
          outcome = applyAlertAction(current, action, principal.name, request.body?.note);
          return outcome.kind === 'changed' ? outcome.alert : null;
        });
        if (!updated) throw notFound(`alert ${request.params.id}`);
        const result = outcome as TransitionResult;
        if (result.kind === 'conflict') throw conflict(result.message);
        const alert = updated.after;
        if (result.kind === 'changed') {
          // Resolving or rejecting frees the camera's "open alert" slot, so a new occurrence opens a new alert.
          if (action !== 'ack') await alerts.clearOpenPointer(alert);
          if (action === 'reject') await alerts.queueForReview(alert.id);
          await publisher.publish({ type: ALERT_ACTIONS[action].event, cameraId: alert.cameraId, data: { alert, by: principal.name } });
        }
        return alert;
      },
    );
  }

  app.get(
    '/alerts/:id/snapshot',
    { schema: { tags, params: IdParams, querystring: SnapshotQuery, response: { 200: Type.Unknown({ description: 'the annotated JPEG' }), ...errorResponses(404) } } },
    async (request, reply) => {
      const alert = await visibleAlert(request.principal, request.params.id);
      if (!alert.snapshotKey) throw notFound(`snapshot of alert ${alert.id}`);
      if (request.query.redirect === 'presigned') return reply.redirect(await snapshots.presignedUrl(alert.snapshotKey), 302);
      const object = await snapshots.open(alert.snapshotKey);
      if (!object) throw notFound(`snapshot of alert ${alert.id}`);
      return reply.type(object.contentType).header('content-length', String(object.size)).header('cache-control', 'private, max-age=300').send(object.stream);
    },
  );
};

export default alertRoutes;
