import { randomBytes } from 'node:crypto';

/**
 * Sortable, unique ids: base36 milliseconds then random hex.
 * No ':' so they are valid BullMQ custom job ids.
 */
export function newId(kind: string): string {
  return `${kind}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

export const ID_PATTERN = /^[a-z]+_[0-9a-z]{9}[0-9a-f]{12}$/;
