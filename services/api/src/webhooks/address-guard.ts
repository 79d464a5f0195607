import { isIP } from 'node:net';

/**
 * Which network addresses a webhook may reach. Private, loopback, link-local,
 * unique-local, multicast, reserved and cloud-metadata addresses are refused,
 * whatever the spelling: callers pass addresses as the resolver or the WHATWG
 * URL parser normalised them (decimal/hex IPv4 become dotted quads there), and
 * IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64) are unwrapped here.
 */

type V4Range = [base: number, bits: number, why: string];

const V4_REFUSED: V4Range[] = [
  [v4('0.0.0.0'), 8, 'this-network'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'carrier-grade NAT'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local / metadata'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'IETF protocol assignments'],
  [v4('192.0.2.0'), 24, 'documentation'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'benchmarking'],
  [v4('198.51.100.0'), 24, 'documentation'],
  [v4('203.0.113.0'), 24, 'documentation'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved / broadcast'],
  [v4('168.63.129.16'), 32, 'metadata'],
];

function v4(dotted: string): number {
  return dotted.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inV4(addr: number, base: number, bits: number): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(addr / size) === Math.floor(base / size);
}

/** Eight 16-bit groups of an IPv6 address (handles '::' and a dotted IPv4 tail). */
export function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/^\[|\]$/g, '').split('%')[0]!;
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const n = v4(dotted[1]!);
    text = text.slice(0, -dotted[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...fill, ...tailGroups].map((g) => parseInt(g, 16));
}

/** The IPv4 address an IPv6 address carries (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96), if any. */
function embeddedV4(groups: number[]): number | null {
  const low = groups[6]! * 65536 + groups[7]!;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return low;
  if (zeros(0, 6) && low > 1) return low;
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return low;
  return null;
}

/** Why an address is refused, or null when it is a public unicast address. */
export function refusedReason(address: string): string | null {
  const family = isIP(address.replace(/^\[|\]$/g, '').split('%')[0]!);
  if (family === 4) {
    const n = v4(address);
    for (const [base, bits, why] of V4_REFUSED) if (inV4(n, base, bits)) return why;
    return null;
  }
  if (family !== 6) return 'not an IP address';
  const g = ipv6Groups(address);
  const inner = embeddedV4(g);
  if (inner !== null) {
    const dotted = [inner >>> 24, (inner >>> 16) & 255, (inner >>> 8) & 255, inner & 255].join('.');
    const why = refusedReason(dotted);
    return why ? `${why} (IPv4 embedded in IPv6)` : null;
  }
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'site-local';
  if ((g[0]! & 0xfe00) === 0xfc00) return 'unique-local / metadata';
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation';
  return null;
}

/**
 * The operator's allow-list (WEBHOOK_ALLOW_HOSTS): host names, IP addresses or
 * IPv4 CIDRs that may be reached even though they are private.
 */
export class WebhookAllowList {
  private readonly names = new Set<string>();
  private readonly cidrs: [number, number][] = [];

  constructor(entries: string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
      const cidr = entry.match(/^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/);
      if (cidr) this.cidrs.push([v4(cidr[1]!), Number(cidr[2])]);
      else if (entry) this.names.add(isIP(entry) === 6 ? ipv6Groups(entry).join(':') : entry);
    }
  }

  allowsHost(hostname: string): boolean {
    const h = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    return this.names.has(isIP(h) === 6 ? ipv6Groups(h).join(':') : h);
  }

  allowsAddress(address: string): boolean {
    if (this.allowsHost(address)) return true;
    if (isIP(address) !== 4) return false;
    const n = v4(address);
    return this.cidrs.some(([base, bits]) => inV4(n, base, bits));
  }
}
