export { start, type RunningApi } from './server.ts';
export { buildApp } from './app.ts';
export { createApiDeps, type ApiDeps } from './deps.ts';
export { WebhookNotifier } from './webhooks/notifier.ts';
export { hashApiKey, newApiKey } from './security/api-key.ts';
export { startNotifier } from './notifier-service.ts';
