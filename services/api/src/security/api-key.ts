import { createHash, randomBytes } from 'node:crypto';
import type { ApiRole } from '../repositories/api-key-repository.ts';
import type { Principal } from '../fastify-types.ts';

const RANK: Record<ApiRole, number> = { viewer: 1, operator: 2, admin: 3 };

export function newApiKey(): string {
  return `rw_${randomBytes(32).toString('base64url')}`;
}

/** Keys are stored and looked up by their SHA-256; the key itself is never stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function hasRole(principal: Principal, needed: ApiRole): boolean {
  return RANK[principal.role] >= RANK[needed];
}

/** A camera-limited key sees only its cameras; everything else is "not found" to it. */
export function canSeeCamera(principal: Principal | null, cameraId: string): boolean {
  return !!principal && (principal.cameras.length === 0 || principal.cameras.includes(cameraId));
}
