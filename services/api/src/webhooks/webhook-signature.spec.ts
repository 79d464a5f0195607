import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signWebhook } from './webhook-signature.ts';

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // From the Standard Webhooks specification's examples.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sig = signWebhook([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every secret during rotation, space separated', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    const both = signWebhook([a, b], 'msg_1', 1700000000, '{}');
    const parts = both.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(signWebhook([a], 'msg_1', 1700000000, '{}'));
    const expected = createHmac('sha256', Buffer.from(b.slice(6), 'base64')).update('msg_1.1700000000.{}').digest('base64');
    expect(parts[1]).toBe(`v1,${expected}`);
  });

  it('makes secrets of 24 random bytes with the whsec_ prefix', () => {
    const s = newWebhookSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(newWebhookSecret()).not.toBe(s);
  });
});
