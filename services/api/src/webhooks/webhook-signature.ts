import { createHmac, randomBytes } from 'node:crypto';

/** Standard Webhooks secrets: "whsec_" + base64 of the HMAC key bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * The webhook-signature header: "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"
 * for each secret, space separated, so receivers holding either secret verify during rotation.
 */
export function signWebhook(secrets: string[], messageId: string, timestampSeconds: number, body: string): string {
  const content = `${messageId}.${timestampSeconds}.${body}`;
  return secrets.map((s) => `v1,${createHmac('sha256', secretKey(s)).update(content).digest('base64')}`).join(' ');
}
