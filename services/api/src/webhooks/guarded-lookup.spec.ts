import { describe, expect, it } from 'vitest';
import { WebhookAllowList } from './address-guard.ts';
import { guardedLookup, RefusedAddressError } from './guarded-lookup.ts';

// 'localhost' resolves from the hosts file, so these run without a network.
function lookup(allow: string[], all: boolean): Promise<{ err: Error | null; result: unknown[] }> {
  return new Promise((resolve) => {
    guardedLookup(new WebhookAllowList(allow))('localhost', { all, family: 0 }, (err: Error | null, ...result: unknown[]) => resolve({ err, result }));
  });
}

describe('guardedLookup (the connect-time check)', () => {
  it('refuses a name that resolves to loopback', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup([], all);
      expect(err).toBeInstanceOf(RefusedAddressError);
      expect(err!.message).toMatch(/localhost resolves to .* \(loopback\).*WEBHOOK_ALLOW_HOSTS/);
    }
  });

  it('lets it through when the allow-list names the host, in both callback shapes', async () => {
    const single = await lookup(['localhost'], false);
    expect(single.err).toBeNull();
    expect(single.result[0]).toMatch(/^(127\.0\.0\.1|::1)$/);
    const many = await lookup(['localhost'], true);
    expect(many.err).toBeNull();
    expect((many.result[0] as { address: string }[]).length).toBeGreaterThan(0);
  });

  it('refuses the whole name when only some of its addresses are allowed', async () => {
    const { err, result } = await lookup(['127.0.0.1'], true);
    // localhost may resolve to 127.0.0.1 only, or to ::1 as well; with ::1 among the answers the name is refused.
    const answers = (result[0] as { address: string }[] | undefined) ?? [];
    if (err) expect(err).toBeInstanceOf(RefusedAddressError);
    else expect(answers.every((a) => a.address === '127.0.0.1')).toBe(true);
  });
});
