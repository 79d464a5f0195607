import { badRequest } from './http-error.ts';

/** Epoch milliseconds or an ISO-8601 time; undefined stays undefined; anything else is a 400 naming the parameter. */
export function parseTimeParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${name} must be epoch milliseconds or an ISO-8601 time, got "${value}"`);
  return ms;
}
