import type { AlertRecord, AlertType, Redis, RedisKeys } from '@riverwatch/common';

/** Alerts in Redis: one record per alert, and per camera and type a pointer to the open one. */
export class AlertStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async openAlertId(cameraId: string, type: AlertType): Promise<string | null> {
    return this.redis.get(this.keys.openAlert(cameraId, type));
  }

  async get(id: string): Promise<AlertRecord | null> {
    const json = await this.redis.get(this.keys.alert(id));
    return json ? (JSON.parse(json) as AlertRecord) : null;
  }

  /**
   * Creates the alert only if none of this type is open for the camera
   * (the pointer is taken with NX), so racing workers cannot open two.
   * Returns the id of the alert that is open afterwards and whether it is new.
   */
  async openOnce(record: AlertRecord): Promise<{ id: string; created: boolean }> {
    const pointer = this.keys.openAlert(record.cameraId, record.type);
    const taken = await this.redis.set(pointer, record.id, 'NX');
    if (taken !== 'OK') return { id: (await this.redis.get(pointer))!, created: false };
    // The record, then its place in the time index (two slots on a cluster, so not one MULTI):
    // the index never lists an alert whose record is missing.
    await this.save(record);
    await this.redis.zadd(this.keys.alertIndex(), record.openedAt, record.id);
    return { id: record.id, created: true };
  }

  /** Writes a record; an alert enters the time index once, when it opens (openOnce). */
  async save(record: AlertRecord): Promise<void> {
    await this.redis.set(this.keys.alert(record.id), JSON.stringify(record));
  }

  /** Clears the open pointer if it still points at this alert. */
  async releasePointer(cameraId: string, type: AlertType, id: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
      1,
      this.keys.openAlert(cameraId, type),
      id,
    );
  }
}
