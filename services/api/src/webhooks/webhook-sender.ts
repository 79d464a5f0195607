import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WebhookAllowList } from './address-guard.ts';
import { assertLiteralHostAllowed, guardedLookup } from './guarded-lookup.ts';

export interface SendResult {
  status: number;
  retryAfter: string | undefined;
}

/** The receiver did not answer in time (a retryable failure). */
export class WebhookTimeoutError extends Error {
  override name = 'WebhookTimeoutError';
}

/**
 * One POST to a webhook target. Redirects are not followed (node:http never
 * follows them; a 3xx comes back as a status), the address is checked at
 * connect time, and the whole exchange has one deadline.
 */
export class WebhookSender {
  private readonly lookup;

  constructor(
    private readonly allow: WebhookAllowList,
    private readonly timeoutMs: number,
  ) {
    this.lookup = guardedLookup(allow);
  }

  send(target: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const url = new URL(target);
    assertLiteralHostAllowed(url.hostname, this.allow);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<SendResult>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
        lookup: this.lookup,
        agent: false,
      });
      const timer = setTimeout(() => req.destroy(new WebhookTimeoutError(`no response within ${this.timeoutMs} ms`)), this.timeoutMs);
      req.on('response', (res) => {
        // The body is not needed; drain a little and stop so a huge reply cannot hold us.
        res.resume();
        res.on('end', () => clearTimeout(timer));
        clearTimeout(timer);
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
        res.destroy();
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }
}
