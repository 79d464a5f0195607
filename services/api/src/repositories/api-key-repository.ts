import { mgetKeys, type Redis, type RedisKeys } from '@riverwatch/common';

export type ApiRole = 'viewer' | 'operator' | 'admin';

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: ApiRole;
  /** Camera ids this key may see; [] for all cameras. */
  cameras: string[];
  createdAt: number;
}

/** API keys, stored under the SHA-256 of the key; the index maps key id -> hash for listing and revoking. */
export class ApiKeyRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const json = await this.redis.get(this.keys.apiKey(hash));
    return json ? (JSON.parse(json) as ApiKeyRecord) : null;
  }

  async create(record: ApiKeyRecord, hash: string): Promise<void> {
    await this.redis.set(this.keys.apiKey(hash), JSON.stringify(record));
    await this.redis.hset(this.keys.apiKeyIndex(), record.id, hash);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const hashes = Object.values(await this.redis.hgetall(this.keys.apiKeyIndex()));
    if (!hashes.length) return [];
    const raw = await mgetKeys(this.redis, hashes.map((h) => this.keys.apiKey(h)));
    return raw
      .filter((j): j is string => j !== null)
      .map((j) => JSON.parse(j) as ApiKeyRecord)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async delete(id: string): Promise<boolean> {
    const hash = await this.redis.hget(this.keys.apiKeyIndex(), id);
    if (!hash) return false;
    await this.redis.del(this.keys.apiKey(hash));
    await this.redis.hdel(this.keys.apiKeyIndex(), id);
    return true;
  }
}
