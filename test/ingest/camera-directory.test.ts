import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraDirectory } from '../../services/ingest/src/camera-directory.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { cameraConfig, deleteCamera, putCamera } from './helpers.ts';

/**
 * Ingest's view of the cameras (real Redis). Every sync asks for it, so it re-reads the cameras
 * only when the API moved the index's version (every save and delete does) or once per
 * re-list interval: a config written behind the API's back shows up then, not before.
 */
describe('CameraDirectory', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('re-reads the cameras when the API saved or deleted one, and otherwise only once the re-list interval passed', async () => {
    const ids = async () => (await directory.list()).map((c) => c.id).sort();
    let now = 1_000_000;
    const directory = new CameraDirectory(t.redis, t.keys, 60_000, () => now);
    await putCamera(t, cameraConfig('cam_d1', 'file:///a.mp4'));
    await putCamera(t, cameraConfig('cam_d2', 'file:///b.mp4'));
    expect(await ids()).toEqual(['cam_d1', 'cam_d2']);

    // Written by hand, not through the API (no version bump): still the cached list.
    await t.redis.set(t.keys.camera('cam_d1'), JSON.stringify(cameraConfig('cam_d1', 'file:///edited.mp4')));
    expect((await directory.list()).find((c) => c.id === 'cam_d1')?.sourceUrl).toBe('file:///a.mp4');
    // ... until the re-list interval has passed.
    now += 60_000;
    expect((await directory.list()).find((c) => c.id === 'cam_d1')?.sourceUrl).toBe('file:///edited.mp4');

    // Through the API's path: seen at the next call.
    await putCamera(t, cameraConfig('cam_d3', 'file:///c.mp4'));
    expect(await ids()).toEqual(['cam_d1', 'cam_d2', 'cam_d3']);
    await deleteCamera(t, 'cam_d2');
    expect(await ids()).toEqual(['cam_d1', 'cam_d3']);
  });
});
