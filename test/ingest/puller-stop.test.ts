import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventPublisher, QueueName, readLedger, type FrameJob } from '@riverwatch/common';
import { CameraEvents } from '../../services/ingest/src/camera-events.ts';
import { CameraPuller } from '../../services/ingest/src/camera-puller.ts';
import { CameraStatusStore } from '../../services/ingest/src/camera-status-store.ts';
import { FramePublisher } from '../../services/ingest/src/frame-publisher.ts';
import { IngestMetrics } from '../../services/ingest/src/ingest-metrics.ts';
import type { TestContext } from '../support/context.ts';
import { Gate } from '../support/gate.ts';
import { cameraConfig, ingestTestContext, testClip, waitFor } from './helpers.ts';

/** The real publisher, held at its start until the test lets it go. */
class GatedPublisher extends FramePublisher {
  readonly gate = new Gate();

  override async publish(...args: Parameters<FramePublisher['publish']>): ReturnType<FramePublisher['publish']> {
    await this.gate.pass();
    return super.publish(...args);
  }
}

/**
 * Stopping a camera (lease lost, camera deleted, ingest shutting down) while a frame is
 * being written to the queue: stop() returns only once that frame is queued, so the
 * caller can close the queue and Redis after it. Before, the write ran on unawaited and
 * could leave the frame's bytes without a job and its ledger entry at "queued".
 */
describe('CameraPuller.stop (real ffmpeg, Redis, BullMQ)', () => {
  let t: TestContext;
  let frames: Queue<FrameJob>;

  beforeAll(async () => {
    ({ t } = await ingestTestContext());
    frames = new Queue<FrameJob>(QueueName.frames, { connection: t.redis, prefix: t.keys.queuePrefix });
  });
  afterAll(async () => {
    await frames?.close();
    await t?.cleanup();
  });

  it('waits for the frame being published: its job, bytes and ledger entry are all there when it returns', async () => {
    const settings = t.config.ingest;
    const publisher = new GatedPublisher(t.redis, t.keys, frames, { maxInFlight: 2, frameTtlSeconds: 30 });
    const status = new CameraStatusStore(t.redis, t.keys);
    const events = new Queue(QueueName.cameraEvents, { connection: t.redis, prefix: t.keys.queuePrefix });
    const webhooks = new Queue(QueueName.webhooks, { connection: t.redis, prefix: t.keys.queuePrefix });
    const camera = cameraConfig('cam_stop', `file://${testClip()}`);
    const puller = new CameraPuller(camera, {
      settings,
      replicaId: 'r1',
      publisher,
      events: new CameraEvents(new EventPublisher(t.redis, t.keys, webhooks), events),
      status,
      metrics: new IngestMetrics(),
      logger: pino({ level: 'silent' }),
    });
    try {
      puller.start();
      await waitFor('a frame to reach the publisher', 20_000, async () => publisher.gate.entered > 0);
      let stopped = false;
      const stopping = puller.stop('stopped').then(() => (stopped = true));
      // ffmpeg is gone, but the frame in hand is not written yet: stop() must still be waiting.
      await new Promise((r) => setTimeout(r, 300));
      expect(stopped).toBe(false);
      publisher.gate.open();
      await stopping;

      const ledger = await readLedger(t.redis, t.keys, camera.id);
      expect(ledger.map((e) => e.event)).toEqual(['queued']);
      const job = await frames.getJob(ledger[0]!.frameId);
      expect(job?.data.cameraId).toBe(camera.id);
      expect(await t.redis.exists(t.keys.frame(ledger[0]!.frameId))).toBe(1);
      // Nothing was published after stop: the frame in hand was the last.
      expect(publisher.gate.entered).toBe(1);
    } finally {
      publisher.gate.open();
      await puller.stop();
      await events.close();
      await webhooks.close();
    }
  });
});
