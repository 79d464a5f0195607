import { mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import type { AlertRecord, CameraConfig } from '@riverwatch/common';
import { repoRoot } from '../support/cli.ts';
import { ClipFeeder, loadClip } from '../support/clip-feeder.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';

const ADMIN_KEY = 'rw_admin_dashboard_test_key_0123456789';
/** Screenshots of each page, kept as test artefacts (gitignored). */
const ARTIFACTS = `${repoRoot}test-artifacts/dashboard/`;
// Browser-side shapes used in page callbacks (the test project is compiled without the DOM library).
interface DecodedImage {
  naturalWidth: number;
}
interface PageGlobals {
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
}
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * The operator dashboard in a real browser (Debian's Chromium) against the whole pipeline
 * (inference, worker, ingest, API on real Redis and S3): the demo camera streams the bundled
 * clip, its debris opens an alert that reaches the open page live, an operator acknowledges it,
 * draws a zone the worker then applies, and runs a detection; a viewer key gets no write controls.
 */
describe('operator dashboard in Chromium', () => {
  let ctx: TestContext;
  let stack: Stack;
  let browser: Browser;
  let base: string;
  let demoId: string;
  /** The camera of the zone test (fed frame by frame; it has a live frame). */
  let footbridgeId: string;
  /** Every URL the browser requested: the key must be in none of them. */
  const requested: string[] = [];

  async function api<T>(path: string, init: RequestInit = {}, key = ADMIN_KEY): Promise<T> {
    const res = await fetch(base + path, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  async function signedIn(key: string, viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto(base + '/');
    await page.fill('#key', key);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#who');
    return { context, page };
  }

  /** The canvas shows a frame once the page has drawn one (it sets data-frame-id after drawing). */
  const frameShown = (page: Page, selector: string) => expect.poll(() => page.getAttribute(selector, 'data-frame-id'), { timeout: 90_000 }).toMatch(/^frm_/);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await createTestContext({ RIVERWATCH_ADMIN_KEY: ADMIN_KEY, HOST: '127.0.0.1', MODEL_REPOSITORY: `${repoRoot}models` });
    stack = await runStack({ services: ['inference', 'worker', 'ingest', 'api'], env: ctx.env });
    base = apiBase(stack);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await ctx?.cleanup();
  });

  it('an alert appears live when debris floats into the demo camera, and acknowledging it changes it in the API', { timeout: 240_000 }, async () => {
    const { context, page } = await signedIn(ADMIN_KEY);
    await page.goto(base + '/#/alerts');
    await page.waitForSelector('#alert-filters');
    await page.waitForSelector('#live:has-text("live")');
    expect(await page.locator('#alerts .alert').count()).toBe(0);

    // The camera `riverwatch demo` registers, added while the page is open: its alert can only arrive live.
    demoId = await addClipCamera(base, ADMIN_KEY, 'Demo river', 2);
    const card = page.locator('#alerts .alert[data-status=open]', { hasText: 'debris — Demo river' });
    await card.waitFor({ timeout: 180_000 });
    const alertId = (await card.getAttribute('data-alert-id'))!;
    // Its snapshot, fetched with the key and decoded.
    await expect.poll(() => card.locator('img.thumb').evaluate((img) => (img as unknown as DecodedImage).naturalWidth)).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}alerts.png` });

    await card.locator('input.note').fill('seen from the bridge, crew informed');
    await card.locator('button[data-action=ack]').click();
    await expect.poll(async () => (await api<AlertRecord>(`/v1/alerts/${alertId}`)).status).toBe('acknowledged');
    const acked = await api<AlertRecord>(`/v1/alerts/${alertId}`);
    expect(acked).toMatchObject({ note: 'seen from the bridge, crew informed', acknowledgedBy: 'bootstrap admin' });
    // The page shows the new state without a reload, and no longer offers to acknowledge it.
    const ackedCard = page.locator(`#alerts .alert[data-alert-id="${alertId}"]`);
    await expect.poll(() => ackedCard.getAttribute('data-status')).toBe('acknowledged');
    expect(await ackedCard.locator('button[data-action=ack]').count()).toBe(0);

    // The snapshot viewer: the annotated frame, full size.
    await ackedCard.locator('.thumb-button').click();
    await expect.poll(() => page.locator('dialog img.snapshot-full').evaluate((img) => (img as unknown as DecodedImage).naturalWidth)).toBe(640);
    await page.screenshot({ path: `${ARTIFACTS}snapshot.png` });
    await page.keyboard.press('Escape');
    await context.close();
  });

  it('the wall shows the demo camera with its newest frame, its state and its open alert', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn(ADMIN_KEY);
    const tile = page.locator(`.tile[data-camera-id="${demoId}"]`);
    await tile.waitFor();
    expect(await tile.locator('.name').textContent()).toBe('Demo river');
    await frameShown(page, `.tile[data-camera-id="${demoId}"] canvas.frame`);
    await expect.poll(() => tile.locator('.badge').textContent(), { timeout: 30_000 }).toBe('online');
    expect(await tile.locator('.tile-alerts').textContent()).toContain('debris');
    expect(await page.locator('#add-camera').count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}wall.png` });

    // On a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}wall-phone.png`, fullPage: true });
    await context.close();
  });

  it('a zone drawn with the mouse is saved through the API and the worker applies it to the next frame', { timeout: 180_000 }, async () => {
    // A camera fed frame by frame (ingest's role played by the test, so each frame is known): disabled, so ingest leaves it alone.
    const camera = await api<CameraConfig>('/v1/cameras', { method: 'POST', body: JSON.stringify({ name: 'Footbridge', sourceUrl: 'rtsp://cam.example/footbridge', fps: 2, maxWidth: 640, enabled: false }) });
    footbridgeId = camera.id;
    const clip = loadClip('debris-appears');
    const feeder = new ClipFeeder(ctx);
    try {
      const before = await feeder.finished(await feeder.enqueue(camera.id, clip.frame(30), 30));
      expect(before!.detections.length).toBeGreaterThan(0);

      const { context, page } = await signedIn(ADMIN_KEY);
      await page.goto(`${base}/#/cameras/${camera.id}`);
      await frameShown(page, '.live canvas.frame');
      await page.check('#toggle-mask');
      await page.waitForSelector('svg.history-chart');

      // An exclude zone around the whole frame, corner by corner, closed by clicking the first corner again.
      await page.click('#draw-exclude');
      const box = (await page.locator('.live canvas.frame').boundingBox())!;
      const corners: [number, number][] = [[0.01, 0.01], [0.99, 0.01], [0.99, 0.99], [0.01, 0.99], [0.01, 0.01]];
      for (const [fx, fy] of corners) await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
      await page.click('#save-zones');
      await expect.poll(async () => (await api<CameraConfig>(`/v1/cameras/${camera.id}`)).zones.exclude.length).toBe(1);
      const zone = (await api<CameraConfig>(`/v1/cameras/${camera.id}`)).zones.exclude[0]!;
      expect(zone).toHaveLength(4);
      // Frame pixels: the clip is 640x360.
      expect(Math.max(...zone.map((p) => p[0]))).toBeGreaterThan(620);
      expect(Math.max(...zone.map((p) => p[1]))).toBeGreaterThan(350);

      // Edited with the mouse: a corner dragged elsewhere, saved again.
      await page.mouse.move(box.x + 0.99 * box.width, box.y + 0.99 * box.height);
      await page.mouse.down();
      await page.mouse.move(box.x + 0.9 * box.width, box.y + 0.95 * box.height, { steps: 5 });
      await page.mouse.up();
      await page.click('#save-zones');
      await expect.poll(async () => (await api<CameraConfig>(`/v1/cameras/${camera.id}`)).zones.exclude[0]!.some(([x, y]) => Math.abs(x - 576) <= 3 && Math.abs(y - 342) <= 3)).toBe(true);
      await page.screenshot({ path: `${ARTIFACTS}camera.png`, fullPage: true });

      // The worker reads the saved zone: the same debris is now ignored.
      const after = await feeder.finished(await feeder.enqueue(camera.id, clip.frame(31), 31));
      expect(after!.detections).toEqual([]);
      expect(after!.ignored).toBeGreaterThan(0);
      await context.close();
    } finally {
      await feeder.close();
    }
  });

  it('the detect page draws the boxes for a dropped picture and shows the model figures', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn(ADMIN_KEY);
    await page.goto(`${base}/#/detect`);
    await page.selectOption('#detect-model', 'debris-yolov5');
    await page.waitForSelector('#model-card table.figures');
    expect(await page.textContent('#model-card')).toContain('mAP50');

    // A real drop: a DataTransfer holding the file, dispatched on the drop zone.
    const picture = readFileSync(`${repoRoot}test/fixtures/clips/debris-appears/frames/000030.jpg`).toString('base64');
    const dataTransfer = await page.evaluateHandle((b64) => {
      const browserSide = globalThis as unknown as PageGlobals;
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new browserSide.DataTransfer();
      dt.items.add(new browserSide.File([bytes], 'river.jpg', { type: 'image/jpeg' }));
      return dt;
    }, picture);
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await frameShown(page, '#detect-canvas');
    expect(await page.locator('#detections li').count()).toBeGreaterThan(0);
    expect(await page.textContent('#detect-summary')).toMatch(/\d+ on the water/);
    await page.screenshot({ path: `${ARTIFACTS}detect.png`, fullPage: true });
    await context.close();
  });

  it('a viewer key sees everything but no write controls', { timeout: 120_000 }, async () => {
    const { key } = await api<{ key: string }>('/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: 'control room', role: 'viewer', cameras: [] }) });
    const { context, page } = await signedIn(key);
    expect(await page.textContent('#who')).toContain('viewer');
    await page.locator(`.tile[data-camera-id="${demoId}"]`).waitFor();
    expect(await page.locator('#add-camera').count()).toBe(0);
    expect(await page.locator('.tile .actions').count()).toBe(0);

    await page.goto(`${base}/#/alerts`);
    await page.locator('#alerts .alert').first().waitFor();
    expect(await page.locator('#alerts button[data-action]').count()).toBe(0);
    expect(await page.locator('#alerts input.note').count()).toBe(0);

    await page.goto(`${base}/#/cameras/${demoId}`);
    await frameShown(page, '.live canvas.frame');
    expect(await page.locator('#zone-tools').count()).toBe(0);
    expect(await page.locator('#edit-camera').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}viewer-camera.png` });

    await page.goto(`${base}/#/detect`);
    expect(await page.locator('#drop-zone').count()).toBe(0);
    await context.close();

    // Neither key ever travelled in a URL.
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => u.includes(ADMIN_KEY) || u.includes(key))).toEqual([]);
  });

  it('an operator adds, edits and deletes cameras from the wall', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn(ADMIN_KEY);
    page.on('dialog', (d) => void d.accept());
    await page.locator(`.tile[data-camera-id="${demoId}"]`).waitFor();

    await page.click('#add-camera');
    const form = page.locator('dialog form.camera-form');
    await form.locator('input[name=name]').fill('Weir');
    await form.locator('input[name=sourceUrl]').fill('rtsp://watch:s3cret@cam.example/weir');
    await form.locator('input[name=fps]').fill('0.5');
    // Disabled: ingest does not try to reach the made-up address.
    await form.locator('input[name=enabled]').uncheck();
    await form.locator('button[type=submit]').click();
    const tile = page.locator('.tile', { hasText: 'Weir' });
    await tile.waitFor();
    const id = (await tile.getAttribute('data-camera-id'))!;
    expect(await api<CameraConfig>(`/v1/cameras/${id}`)).toMatchObject({ name: 'Weir', fps: 0.5, enabled: false });
    // The page got the URL with its password masked, and never shows it.
    expect(await page.content()).not.toContain('s3cret');

    // A bad value is refused in the form, naming the field; nothing is sent.
    await tile.locator('button', { hasText: 'Edit' }).click();
    await form.locator('input[name=minScore]').fill('');
    await form.locator('button[type=submit]').click();
    expect(await form.locator('.error').textContent()).toBe('Min score must be a number');
    // Rules and fps change; the untouched (masked) URL is not sent back, so the stored password survives.
    await form.locator('input[name=minScore]').fill('0.6');
    await form.locator('input[name=persistenceN]').fill('2');
    await form.locator('input[name=fps]').fill('1');
    await form.locator('button[type=submit]').click();
    await expect.poll(async () => (await api<CameraConfig>(`/v1/cameras/${id}`)).rules.minScore).toBe(0.6);
    const stored = JSON.parse((await ctx.redis.get(ctx.keys.camera(id)))!) as CameraConfig;
    expect(stored).toMatchObject({ fps: 1, sourceUrl: 'rtsp://watch:s3cret@cam.example/weir', rules: { minScore: 0.6, persistence: { n: 2, m: 5 } } });

    // How the detector runs over the camera's frames: finer tiles (a 640x384 input / 1.5) for a
    // distant camera, then whole frames, then back to the detector's own tiling.
    const tilingAfter = async (choice: string, shown: string) => {
      await tile.locator('button', { hasText: 'Edit' }).click();
      expect(await form.locator('select[name=tiling]').inputValue()).toBe(shown);
      await form.locator('select[name=tiling]').selectOption(choice);
      await form.locator('button[type=submit]').click();
      await form.waitFor({ state: 'detached' });
      return (await api<CameraConfig>(`/v1/cameras/${id}`)).tiling;
    };
    expect(await tilingAfter('fine', 'model')).toEqual({ enabled: true, tileWidth: 427, tileHeight: 256 });
    expect(await tilingAfter('whole', 'fine')).toEqual({ enabled: false });
    expect(await tilingAfter('model', 'whole')).toEqual({});
    // An override the form has no name for (set through the API) survives an edit of something else.
    const custom = { enabled: true, tileWidth: 960, tileHeight: 576, overlap: 0.3 };
    await api(`/v1/cameras/${id}`, { method: 'PATCH', body: JSON.stringify({ tiling: custom }) });
    await page.reload();
    expect(await tilingAfter('custom', 'custom')).toEqual(custom);

    await tile.locator('button', { hasText: 'Delete' }).click();
    await tile.waitFor({ state: 'detached' });
    expect((await fetch(`${base}/v1/cameras/${id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(404);

    // Deleting a camera the worker has seen also drops its live frame.
    expect(await ctx.redis.exists(ctx.keys.liveFrame(footbridgeId))).toBe(1);
    await page.locator(`.tile[data-camera-id="${footbridgeId}"] button`, { hasText: 'Delete' }).click();
    await expect.poll(() => ctx.redis.exists(ctx.keys.liveFrame(footbridgeId))).toBe(0);
    await context.close();
  });
});
