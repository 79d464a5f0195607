import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '@riverwatch/common';
import { ReviewSampler } from '../../services/worker/src/labelling/review-sampler.ts';
import { EvidenceRepository } from '../../services/worker/src/repositories/evidence.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { Gate } from '../support/gate.ts';

/** The real repository, whose snapshot reads wait until the test lets them go. */
class GatedEvidence extends EvidenceRepository {
  readonly gate = new Gate();

  override async readSnapshotObject(key: string): Promise<Buffer> {
    await this.gate.pass();
    return super.readSnapshotObject(key);
  }
}

const alert = (id: string, frameKey: string): AlertRecord => ({
  id,
  cameraId: 'cam-review',
  type: 'debris',
  status: 'rejected',
  openedAt: 1,
  updatedAt: 2,
  lastSeenAt: 1_700_000_000_000,
  resolvedAt: null,
  frames: 3,
  lastFrameId: `frm-${id}`,
  classes: { bottle: 1 },
  maxCoverage: 0,
  trackIds: [1],
  snapshotKey: frameKey,
  frameKey,
  acknowledgedBy: 'op',
  note: 'a leaf',
});

/**
 * Rejected alerts reach the labelling loop through a Redis list the API fills. What must
 * hold (real Redis and S3): an alert stays in the list until its frame is saved, so a
 * worker stopped or killed while saving loses none; one that cannot be saved (S3 down, the
 * object gone) stays for the next round.
 */
describe('worker: draining rejected alerts into the labelling loop', () => {
  let t: TestContext;
  const logger = pino({ level: 'silent' });
  const review = (evidence: EvidenceRepository) => new ReviewSampler(t.redis, t.keys, evidence, { band: [0.2, 0.4], perCameraIntervalSeconds: 0 }, logger);

  beforeAll(async () => {
    t = await createTestContext();
    await t.store.ensureBuckets();
  });
  afterAll(() => t?.cleanup());

  it('keeps an alert queued while its frame is being saved, and removes it once saved', async () => {
    const frameKey = 'cam-review/alert-1/frm-raw.jpg';
    await t.store.put('snapshots', frameKey, Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'image/jpeg');
    await t.redis.set(t.keys.alert('al-1'), JSON.stringify(alert('al-1', frameKey)));
    await t.redis.rpush(t.keys.reviewRejected(), 'al-1');

    const evidence = new GatedEvidence(t.store);
    const draining = review(evidence).drainRejected();
    await expect.poll(() => evidence.gate.entered).toBe(1);
    // Mid-save: a worker that died now would leave it for another.
    expect(await t.redis.lrange(t.keys.reviewRejected(), 0, -1)).toEqual(['al-1']);
    evidence.gate.open();
    expect(await draining).toBe(1);
    expect(await t.redis.lrange(t.keys.reviewRejected(), 0, -1)).toEqual([]);
    expect(await t.redis.zscore(t.keys.reviewIndex(), 'cam-review/frm-al-1')).toBe('1700000000000');
  });

  it('leaves an alert whose frame cannot be read for the next round', async () => {
    await t.redis.set(t.keys.alert('al-2'), JSON.stringify(alert('al-2', 'cam-review/alert-2/missing.jpg')));
    await t.redis.rpush(t.keys.reviewRejected(), 'al-2');
    expect(await review(new EvidenceRepository(t.store)).drainRejected()).toBe(0);
    expect(await t.redis.lrange(t.keys.reviewRejected(), 0, -1)).toEqual(['al-2']);
  });
});
