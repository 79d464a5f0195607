import { Queue } from 'bullmq';
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { EventPublisher, QueueName, newId, writeCachedWaterMask, type AlertRecord } from '@riverwatch/common';
import { createTestContext, type TestContext } from '../support/context.ts';

const ADMIN_KEY = 'rw_admin_dashboard_test_key_0123456789';

/**
 * The operator dashboard in a real browser (Debian's Chromium), against the API
 * with real Redis and S3: log in with a key, see cameras and open alerts with
 * their snapshot, acknowledge one, and watch a live event arrive over SSE.
 */
describe('operator dashboard in Chromium', () => {
  let ctx: TestContext;
  let stack: Stack;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ctx = await createTestContext({ RIVERWATCH_ADMIN_KEY: ADMIN_KEY, HOST: '127.0.0.1' });
    stack = await runStack({ services: ['api'], env: ctx.env });
    base = `http://127.0.0.1:${stack.services[0]!.port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await ctx?.cleanup();
  });

  it('shows cameras and open alerts, acknowledges an alert and streams live events', async () => {
    const res = await fetch(`${base}/v1/cameras`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bridge North', sourceUrl: 'rtsp://user:secret@cam.example/river', fps: 2, maxWidth: 640 }),
    });
    expect(res.status).toBe(201);
    const camera = (await res.json()) as { id: string };

    // An open alert as the worker leaves it: record, index, open pointer, snapshot in S3.
    await ctx.store.ensureBuckets();
    const snapshotKey = `${camera.id}/alr/frame.jpg`;
    await ctx.store.put('snapshots', snapshotKey, await sharp({ create: { width: 64, height: 36, channels: 3, background: '#336699' } }).jpeg().toBuffer(), 'image/jpeg');
    const now = Date.now();
    const alert: AlertRecord = {
      id: newId('alr'), cameraId: camera.id, type: 'debris', status: 'open', openedAt: now, updatedAt: now, lastSeenAt: now, resolvedAt: null,
      frames: 4, lastFrameId: 'frm_x', classes: { bottle: 2 }, maxCoverage: 0.012, trackIds: [1, 2], snapshotKey, frameKey: snapshotKey, acknowledgedBy: null, note: null,
    };
    await ctx.redis.set(ctx.keys.alert(alert.id), JSON.stringify(alert));
    await ctx.redis.zadd(ctx.keys.alertIndex(), now, alert.id);
    await ctx.redis.set(ctx.keys.openAlert(camera.id, 'debris'), alert.id);
    // The camera's water mask as the worker caches it.
    const mask = await sharp({ create: { width: 48, height: 27, channels: 3, background: '#ffffff' } }).greyscale().png().toBuffer();
    await writeCachedWaterMask(ctx.redis, ctx.keys, camera.id, { png: mask, at: now, width: 48, height: 27, version: '1', uses: 1 });

    const page = await browser.newPage();
    await page.goto(base + '/');
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button');

    await page.waitForSelector('#cameras tbody tr');
    expect(await page.textContent('#cameras tbody')).toContain('Bridge North');
    await page.waitForSelector('#alerts .alert');
    expect(await page.textContent('#alerts')).toContain('debris — Bridge North');
    expect(await page.textContent('#alerts')).toContain('bottle 2');
    // The snapshot was fetched with the key and decoded by the browser. (Polled from here: the
    // page's CSP forbids eval, which page.waitForFunction needs once its first check fails.)
    await expect.poll(() => page.evaluate("document.querySelector('#alerts img')?.naturalWidth")).toBe(64);
    // So was the camera's water mask.
    await expect.poll(() => page.evaluate("document.querySelector('#cameras img.mask')?.naturalWidth")).toBe(48);

    await page.click('#alerts button:text("ack")');
    await expect.poll(async () => (JSON.parse((await ctx.redis.get(ctx.keys.alert(alert.id)))!) as AlertRecord).status).toBe('acknowledged');

    // A live event published by another service appears without a reload.
    await page.waitForSelector('#live:has-text("live")');
    const webhooks = new Queue(QueueName.webhooks, { connection: ctx.redis.duplicate(), prefix: ctx.keys.queuePrefix });
    await new EventPublisher(ctx.redis, ctx.keys, webhooks).publish({ type: 'camera.offline', cameraId: camera.id, data: {} });
    await page.waitForSelector(`#events:has-text("camera.offline ${camera.id}")`);
    await webhooks.close();

    // Credentials in the camera's source URL never reach the page.
    expect(await page.content()).not.toContain('secret');
    await page.close();
  });
});
