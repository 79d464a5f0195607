import { describe, expect, it } from 'vitest';
import type { AlertRecord, AlertType, EventPublisher, Logger } from '@riverwatch/common';
import type { AlertStore } from '../repositories/alert-store.ts';
import type { EvidenceRepository } from '../repositories/evidence.ts';
import { ALERT_RECORD_SYNC_MS, AlertService, type AlertEvidence, type HeldAlertUpdates } from './alert-service.ts';

/** AlertStore's contract over a Map, counting record writes (the real one is tested on Redis). */
class MemoryAlertStore {
  readonly records = new Map<string, AlertRecord>();
  readonly pointers = new Map<string, string>();
  writes = 0;
  async openAlertId(cameraId: string, type: AlertType) {
    return this.pointers.get(`${cameraId}/${type}`) ?? null;
  }
  async get(id: string) {
    const r = this.records.get(id);
    return r ? (structuredClone(r) as AlertRecord) : null;
  }
  async openOnce(record: AlertRecord) {
    const key = `${record.cameraId}/${record.type}`;
    const open = this.pointers.get(key);
    if (open) return { id: open, created: false };
    this.pointers.set(key, record.id);
    await this.save(record);
    return { id: record.id, created: true };
  }
  async save(record: AlertRecord) {
    this.writes++;
    this.records.set(record.id, structuredClone(record));
  }
  async releasePointer(cameraId: string, type: AlertType, id: string) {
    if (this.pointers.get(`${cameraId}/${type}`) === id) this.pointers.delete(`${cameraId}/${type}`);
  }
}

const silent = { info() {}, warn() {}, error() {} } as unknown as Logger;
const events = { publish: async () => {} } as unknown as EventPublisher;
const evidence = { saveAlertSnapshot: async () => ({ snapshotKey: 's', frameKey: 'f' }) } as unknown as EvidenceRepository;

const T0 = 1_700_000_000_000;
/** Frame i of a 2 fps camera with i bottles. */
const frame = (i: number, bottles = 1): AlertEvidence => ({
  cameraId: 'cam', frameId: `f${i}`, at: T0 + i * 500, classes: { bottle: bottles }, coverage: 0.01 * bottles, trackIds: [i], rawFrame: null, annotate: null,
});

function setup() {
  const store = new MemoryAlertStore();
  const service = new AlertService(store as unknown as AlertStore, evidence, events, silent);
  const only = () => [...store.records.values()][0]!;
  return { store, service, only };
}

describe('AlertService: an open alert record written at most every ALERT_RECORD_SYNC_MS', () => {
  const perSync = ALERT_RECORD_SYNC_MS / 500; // frames at 2 fps

  it('holds frames in the camera memory between writes, and the write adds them all', async () => {
    const { store, service, only } = setup();
    const held: HeldAlertUpdates = {};
    await service.apply('debris', 'open', frame(0), held);
    expect(store.writes).toBe(1);
    for (let i = 1; i < perSync; i++) expect(await service.apply('debris', 'update', frame(i, i === 3 ? 4 : 1), held)).toBe(true);
    // Nothing written yet: the frames are held.
    expect(store.writes).toBe(1);
    expect(only().frames).toBe(1);
    expect(held.debris).toMatchObject({ frames: perSync - 1, lastFrameId: `f${perSync - 1}`, classes: { bottle: 4 } });
    // The first frame ALERT_RECORD_SYNC_MS after the last write writes the record, held frames included.
    await service.apply('debris', 'update', frame(perSync), held);
    expect(store.writes).toBe(2);
    expect(only()).toMatchObject({ frames: perSync + 1, lastSeenAt: frame(perSync).at, lastFrameId: `f${perSync}`, classes: { bottle: 4 }, trackIds: Array.from({ length: perSync + 1 }, (_, i) => i) });
    expect(held.debris).toMatchObject({ frames: 0, syncedAt: frame(perSync).at });
  });

  it('counts a re-delivered frame once, held or written', async () => {
    const { service, only } = setup();
    const held: HeldAlertUpdates = {};
    await service.apply('debris', 'open', frame(0), held);
    await service.apply('debris', 'update', frame(1), held);
    await service.apply('debris', 'update', frame(1), held);
    expect(held.debris!.frames).toBe(1);
    await service.apply('debris', 'update', frame(perSync), held);
    await service.apply('debris', 'update', frame(perSync), structuredClone(held));
    expect(only().frames).toBe(3);
  });

  it('a write whose frame then failed to commit is not counted again from the memory left behind', async () => {
    const { service, only } = setup();
    const held: HeldAlertUpdates = {};
    await service.apply('debris', 'open', frame(0), held);
    for (let i = 1; i < perSync; i++) await service.apply('debris', 'update', frame(i), held);
    // Frame perSync writes the record, then its commit fails: the memory saved is still `held`.
    await service.apply('debris', 'update', frame(perSync), structuredClone(held));
    expect(only().frames).toBe(perSync + 1);
    // The retry (or the next frame) starts again from the memory as it was.
    await service.apply('debris', 'update', frame(perSync), held);
    await service.apply('debris', 'update', frame(perSync + 1), held);
    expect(only().frames).toBe(perSync + 1);
    expect(held.debris!.frames).toBe(1);
  });

  it('resolving writes the held frames into the resolved record', async () => {
    const { store, service, only } = setup();
    const held: HeldAlertUpdates = {};
    await service.apply('debris', 'open', frame(0), held);
    for (let i = 1; i <= 3; i++) await service.apply('debris', 'update', frame(i, 2), held);
    await service.apply('debris', 'resolve', frame(20, 0), held);
    expect(only()).toMatchObject({ status: 'resolved', frames: 4, lastSeenAt: frame(3).at, classes: { bottle: 2 }, resolvedAt: frame(20).at });
    expect(held.debris).toBeUndefined();
    expect(store.pointers.size).toBe(0);
  });

  it('an alert an operator closed is noticed at the next write, and its held frames dropped', async () => {
    const { store, service } = setup();
    const held: HeldAlertUpdates = {};
    await service.apply('debris', 'open', frame(0), held);
    store.pointers.clear(); // the API resolved it: record updated, pointer released
    expect(await service.apply('debris', 'update', frame(1), held)).toBe(true);
    expect(await service.apply('debris', 'update', frame(perSync), held)).toBe(false);
    expect(held.debris).toBeUndefined();
  });

  it('a memory from before held updates (none held) writes the record on its first update', async () => {
    const { store, service, only } = setup();
    await service.apply('debris', 'open', frame(0), {});
    const held: HeldAlertUpdates = {};
    await service.apply('debris', 'update', frame(1), held);
    expect(store.writes).toBe(2);
    expect(only().frames).toBe(2);
    expect(held.debris).toMatchObject({ frames: 0, syncedAt: frame(1).at });
  });
});
