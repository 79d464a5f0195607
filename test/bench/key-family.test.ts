import { describe, expect, it } from 'vitest';
import { newId } from '@riverwatch/common';
import { keyFamily } from '../../bench/support/redis-stats.ts';

/** bench:scale's by-key table: keys of one kind must count together, kinds apart. */
describe('keyFamily', () => {
  it('takes camera tags and ids out, and keeps the queues\' tag and the key kind', () => {
    expect(keyFamily('rw:cam:{cam-3}:live')).toBe('rw:cam:{*}:live');
    for (let i = 0; i < 50; i++) expect(keyFamily(`sc1:cam:{cam-12}:done:${newId('frm')}`)).toBe('sc1:cam:{*}:done:*');
    expect(keyFamily(`rw:alert:${newId('alr')}`)).toBe('rw:alert:*');
    expect(keyFamily('{sc0:q}:frames:wait')).toBe('{sc0:q}:frames:wait');
    expect(keyFamily('{rw:q}:frames:8f0c2a1e-6b5d-4f1e-9c3a-0d1e2f3a4b5c')).toBe('{rw:q}:frames:*');
    expect(keyFamily('{rw:q}:frames:1234')).toBe('{rw:q}:frames:*');
    expect(keyFamily('rw:cam:{cam-3}:alert:debris')).toBe('rw:cam:{*}:alert:debris');
  });
});
