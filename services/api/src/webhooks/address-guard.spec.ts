import { describe, expect, it } from 'vitest';
import { refusedReason, WebhookAllowList } from './address-guard.ts';
import { assertLiteralHostAllowed, RefusedAddressError } from './guarded-lookup.ts';

describe('refusedReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local / metadata'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['0.0.0.0', 'this-network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved / broadcast'],
    ['168.63.129.16', 'metadata'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local / metadata'],
    ['fd00:ec2::254', 'unique-local / metadata'],
    ['ff02::1', 'multicast'],
  ])('refuses %s (%s)', (address, why) => {
    expect(refusedReason(address)).toBe(why);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:a9fe:a9fe]', 'link-local / metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local / metadata'],
    ['::127.0.0.1', 'loopback'],
  ])('unwraps IPv4 embedded in IPv6: %s is %s', (address, why) => {
    expect(refusedReason(address)).toBe(`${why} (IPv4 embedded in IPv6)`);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('lets the public address %s through', (address) => {
    expect(refusedReason(address)).toBeNull();
  });

  it('refuses something that is not an IP address at all', () => {
    expect(refusedReason('example.com')).toBe('not an IP address');
  });
});

describe('literal hosts in any spelling (as the WHATWG URL parser normalises them)', () => {
  const none = new WebhookAllowList([]);
  it.each([
    'http://2130706433/hook', // decimal 127.0.0.1
    'http://0x7f000001/hook', // hex
    'http://0x7f.1/hook', // mixed short form
    'http://017700000001/hook', // octal
    'http://127.1/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::1]:8080/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[fd00:ec2::254]/',
  ])('%s is refused', (url) => {
    expect(() => assertLiteralHostAllowed(new URL(url).hostname, none)).toThrow(RefusedAddressError);
  });

  it('a public literal address passes', () => {
    expect(() => assertLiteralHostAllowed(new URL('http://93.184.216.34/hook').hostname, none)).not.toThrow();
  });
});

describe('WebhookAllowList', () => {
  const allow = new WebhookAllowList(['127.0.0.1', 'Receiver.Internal', '10.20.0.0/16', '::1']);
  it('allows listed IPs, host names (case-insensitive), CIDR members and IPv6 in any spelling', () => {
    expect(allow.allowsAddress('127.0.0.1')).toBe(true);
    expect(allow.allowsHost('receiver.internal')).toBe(true);
    expect(allow.allowsHost('receiver.internal.')).toBe(true);
    expect(allow.allowsAddress('10.20.5.6')).toBe(true);
    expect(allow.allowsAddress('0:0:0:0:0:0:0:1')).toBe(true);
    expect(() => assertLiteralHostAllowed('127.0.0.1', allow)).not.toThrow();
  });
  it('does not allow what it does not name', () => {
    expect(allow.allowsAddress('127.0.0.2')).toBe(false);
    expect(allow.allowsAddress('10.21.0.1')).toBe(false);
    expect(allow.allowsHost('other.internal')).toBe(false);
  });
});
