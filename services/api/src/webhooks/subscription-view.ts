import type { WebhookSubscription } from '@riverwatch/common';
import { badRequest } from '../http-error.ts';
import type { WebhookAllowList } from './address-guard.ts';
import { assertLiteralHostAllowed, RefusedAddressError } from './guarded-lookup.ts';

/** A subscription as the API shows it: secrets never leave except on creation and rotation. */
export function subscriptionView(sub: WebhookSubscription) {
  const { secrets, ...rest } = sub;
  return { ...rest, activeSecrets: secrets.length };
}

/**
 * Early, friendly refusal of targets that can never be delivered to. The
 * binding check happens again on the resolved address at connect time.
 */
export function checkWebhookUrl(value: string, allow: WebhookAllowList): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must use http or https');
  try {
    assertLiteralHostAllowed(url.hostname, allow);
  } catch (err) {
    if (err instanceof RefusedAddressError) throw badRequest(err.message);
    throw err;
  }
  return url.toString();
}
