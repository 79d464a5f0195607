import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { refusedReason, type WebhookAllowList } from './address-guard.ts';

/** A webhook target resolved to an address riverwatch refuses to call. */
export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
  readonly code = 'ERR_WEBHOOK_ADDRESS_REFUSED';
}

/** Checks one address against the guard; throws RefusedAddressError when refused. */
export function assertAddressAllowed(host: string, address: string, allow: WebhookAllowList): void {
  if (allow.allowsHost(host) || allow.allowsAddress(address)) return;
  const why = refusedReason(address);
  if (why) throw new RefusedAddressError(`webhook target ${host} resolves to ${address} (${why}); add it to WEBHOOK_ALLOW_HOSTS to allow it`);
}

/**
 * A dns.lookup replacement for http.request: the check runs on the address the
 * socket will actually connect to, so DNS rebinding between a check and the
 * connect cannot slip a private address through.
 */
export function guardedLookup(allow: WebhookAllowList): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (...args: any[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      const usable: LookupAddress[] = [];
      let refusal: Error | null = null;
      for (const a of addresses) {
        try {
          assertAddressAllowed(hostname, a.address, allow);
          usable.push(a);
        } catch (e) {
          refusal = e as Error;
        }
      }
      // Any refused address refuses the host: a name that mixes public and private answers is a rebinding attempt.
      if (refusal || !usable.length) return callback(refusal ?? new RefusedAddressError(`webhook target ${hostname} has no address`));
      if (options.all) return callback(null, usable);
      return callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/** Literal IP hosts never reach the lookup function, so they are checked up front. */
export function assertLiteralHostAllowed(hostname: string, allow: WebhookAllowList): void {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare)) assertAddressAllowed(bare, bare, allow);
}
