import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { newId, WEBHOOK_JOB_OPTIONS, type LiveEvent, type WebhookSubscription } from '@riverwatch/common';
import { notFound } from '../../http-error.ts';
import { errorResponses, IdParams } from '../../schemas/common.ts';
import {
  DeadLetterList,
  DeliveryList,
  LimitQuery,
  MessageIdParams,
  QueuedMessage,
  RotateBody,
  WebhookCreateBody,
  WebhookList,
  WebhookPatchBody,
  WebhookView,
  WebhookWithSecret,
} from '../../schemas/webhooks.ts';
import { WebhookAllowList } from '../../webhooks/address-guard.ts';
import { checkWebhookUrl, subscriptionView } from '../../webhooks/subscription-view.ts';
import { newWebhookSecret } from '../../webhooks/webhook-signature.ts';

const tags = ['webhooks'];

/** Webhook subscriptions hold secrets and reach out of the network: admin only. */
const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhooks, webhookQueue, config } = app.deps;
  const allow = new WebhookAllowList(config.api.webhookAllowHosts);
  const admin = { role: 'admin' as const };

  async function existing(id: string): Promise<WebhookSubscription> {
    const sub = await webhooks.get(id);
    if (!sub) throw notFound(`webhook ${id}`);
    return sub;
  }

  app.get('/webhooks', { config: admin, schema: { tags, response: { 200: WebhookList } } }, async () => ({
    items: (await webhooks.list()).map(subscriptionView),
  }));

  app.post(
    '/webhooks',
    { config: admin, schema: { tags, body: WebhookCreateBody, response: { 201: WebhookWithSecret, ...errorResponses(400) } } },
    async (request, reply) => {
      const secret = request.body.secret ?? newWebhookSecret();
      const sub: WebhookSubscription = {
        id: newId('whk'),
        url: checkWebhookUrl(request.body.url, allow),
        events: request.body.events,
        cameras: request.body.cameras,
        secrets: [secret],
        enabled: true,
        disabledReason: null,
        createdAt: Date.now(),
      };
      await webhooks.save(sub);
      return reply.status(201).send({ ...subscriptionView(sub), secret });
    },
  );

  app.get('/webhooks/dead-letters', { config: admin, schema: { tags, querystring: LimitQuery, response: { 200: DeadLetterList } } }, async (request) => ({
    items: await webhooks.deadLetters(request.query.limit),
  }));

  app.post(
    '/webhooks/dead-letters/:messageId/redeliver',
    { config: admin, schema: { tags, params: MessageIdParams, response: { 202: QueuedMessage, ...errorResponses(404) } } },
    async (request, reply) => {
      const letter = await webhooks.takeDeadLetter(request.params.messageId);
      if (!letter) throw notFound(`dead letter ${request.params.messageId}`);
      if (!(await webhooks.get(letter.subscriptionId))) {
        await webhooks.pushDeadLetter(letter);
        throw notFound(`webhook ${letter.subscriptionId} of dead letter ${letter.messageId}`);
      }
      // A fresh job (the failed one may still be kept by the queue), carrying the same webhook-id.
      const jobId = `${letter.messageId}_r${Date.now().toString(36)}`;
      await webhookQueue.add(
        'deliver',
        { subscriptionId: letter.subscriptionId, messageId: letter.messageId, eventType: letter.eventType, payload: letter.payload },
        { ...WEBHOOK_JOB_OPTIONS, jobId },
      );
      return reply.status(202).send({ messageId: letter.messageId, jobId });
    },
  );

  app.get('/webhooks/:id', { config: admin, schema: { tags, params: IdParams, response: { 200: WebhookView, ...errorResponses(404) } } }, async (request) =>
    subscriptionView(await existing(request.params.id)),
  );

  app.patch(
    '/webhooks/:id',
    { config: admin, schema: { tags, params: IdParams, body: WebhookPatchBody, response: { 200: WebhookView, ...errorResponses(400, 404) } } },
    async (request) => {
      const current = await existing(request.params.id);
      const { url, enabled, ...rest } = request.body;
      const sub: WebhookSubscription = {
        ...current,
        ...rest,
        url: url === undefined ? current.url : checkWebhookUrl(url, allow),
        enabled: enabled ?? current.enabled,
        // Re-enabling (after a 410, say) clears the reason it was disabled.
        disabledReason: enabled === true ? null : enabled === false ? 'disabled by an operator' : current.disabledReason,
      };
      await webhooks.save(sub);
      return subscriptionView(sub);
    },
  );

  app.delete('/webhooks/:id', { config: admin, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorResponses(404) } } }, async (request, reply) => {
    if (!(await webhooks.delete(request.params.id))) throw notFound(`webhook ${request.params.id}`);
    return reply.status(204).send(null);
  });

  app.post(
    '/webhooks/:id/rotate-secret',
    { config: admin, schema: { tags, params: IdParams, body: RotateBody, response: { 200: WebhookWithSecret, ...errorResponses(404) } } },
    async (request) => {
      const current = await existing(request.params.id);
      const secret = request.body?.secret ?? newWebhookSecret();
      // The new secret signs first; the previous one keeps signing until the receiver has switched.
      const sub = { ...current, secrets: [secret, current.secrets[0]!] };
      await webhooks.save(sub);
      return { ...subscriptionView(sub), secret };
    },
  );

  app.delete(
    '/webhooks/:id/previous-secret',
    { config: admin, schema: { tags, params: IdParams, response: { 200: WebhookView, ...errorResponses(404) } } },
    async (request) => {
      const current = await existing(request.params.id);
      const sub = { ...current, secrets: current.secrets.slice(0, 1) };
      await webhooks.save(sub);
      return subscriptionView(sub);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    { config: admin, schema: { tags, params: IdParams, querystring: LimitQuery, response: { 200: DeliveryList, ...errorResponses(404) } } },
    async (request) => {
      await existing(request.params.id);
      return { items: await webhooks.deliveries(request.params.id, Math.min(request.query.limit, 200)) };
    },
  );

  app.post(
    '/webhooks/:id/test',
    { config: admin, schema: { tags, params: IdParams, response: { 202: QueuedMessage, ...errorResponses(404) } } },
    async (request, reply) => {
      const sub = await existing(request.params.id);
      const event: LiveEvent = { id: newId('evt'), type: 'webhook.ping', cameraId: null, at: Date.now(), data: { subscriptionId: sub.id } };
      const messageId = `msg_${event.id.slice(4)}_${sub.id.slice(-8)}`;
      await webhookQueue.add('deliver', { subscriptionId: sub.id, messageId, eventType: event.type, payload: event }, { ...WEBHOOK_JOB_OPTIONS, jobId: messageId });
      return reply.status(202).send({ messageId, jobId: messageId });
    },
  );
};

export default webhookRoutes;
