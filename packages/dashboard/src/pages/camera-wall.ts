import type { Alert, AlertPage, Camera, CameraStatus, ModelInfo } from '../api/types.ts';
import type { AppContext, Page } from '../app-context.ts';
import { CameraTile } from '../ui/camera-tile.ts';
import { button, h, showError, showMessage } from '../ui/dom.ts';
import { openCameraForm } from './camera-form.ts';

const FRAME_REFRESH_MS = 2_000;
/** 20 cameras: a frame each every 4 s, at most 600 requests a minute with their JPEGs. */
const FRAME_MS_PER_CAMERA = 200;
const STATUS_REFRESH_MS = 10_000;

/** Every camera as a tile, refreshing; operators add, edit and delete cameras here. */
export function cameraWall(ctx: AppContext): Page {
  const { api } = ctx;
  const grid = h('div', { className: 'wall', id: 'wall' });
  const empty = h('p', { className: 'muted', textContent: 'Loading cameras…' });
  const tiles = new Map<string, CameraTile>();
  let models: ModelInfo[] = [];

  const actions = ctx.canWrite
    ? {
        // The tile holds the saved camera at once: an Edit clicked before the reload lands must not start from the old one.
        edit: (camera: Camera) =>
          openCameraForm(api, models, camera, (saved) => {
            tiles.get(saved.id)?.saved(saved);
            void reload().catch(showError);
          }),
        remove: async (camera: Camera) => {
          if (!window.confirm(`Delete camera "${camera.name}"? Its open alerts are resolved and its history is deleted.`)) return;
          await api.send('DELETE', `/v1/cameras/${camera.id}`);
          showMessage(`Deleted ${camera.name}`);
          await reload();
        },
      }
    : null;

  async function reload(): Promise<void> {
    const [{ items: cameras }, open] = await Promise.all([
      api.json<{ items: Camera[] }>('/v1/cameras'),
      api.json<AlertPage>('/v1/alerts?status=open&status=acknowledged&limit=200'),
    ]);
    const statuses = await Promise.all(cameras.map((c) => api.json<CameraStatus>(`/v1/cameras/${c.id}/status`).catch(() => null)));
    for (const [id, tile] of tiles) {
      if (cameras.some((c) => c.id === id)) continue;
      tile.view.dispose();
      tile.element.remove();
      tiles.delete(id);
    }
    cameras.forEach((camera, i) => {
      let tile = tiles.get(camera.id);
      if (!tile) {
        tile = new CameraTile(api, camera, actions);
        tiles.set(camera.id, tile);
        void tile.view.refresh().catch(() => undefined);
      }
      grid.append(tile.element); // keeps the API's order
      const alerts: Alert[] = open.items.filter((a) => a.cameraId === camera.id);
      tile.update(camera, statuses[i] ?? null, alerts);
    });
    empty.textContent = cameras.length ? '' : ctx.canWrite ? 'No cameras yet: add one.' : 'No cameras yet.';
  }

  const addButton = ctx.canWrite
    ? button('Add camera', () => openCameraForm(api, models, null, (c) => (showMessage(`Added ${c.name}`), void reload().catch(showError))), { id: 'add-camera' })
    : null;
  const element = h('section', { className: 'page wall-page' }, h('div', { className: 'page-head' }, h('h1', { textContent: 'Cameras' }), addButton), empty, grid);

  void api.json<{ items: ModelInfo[] }>('/v1/models').then((m) => (models = m.items)).catch(() => undefined);
  void reload().catch(showError);
  // Each tile asks for its frame every interval: slower on big walls so that one key stays well
  // inside the API's rate limit, and not at all while the tab is hidden.
  let lastFrames = 0;
  const frames = setInterval(() => {
    if (document.hidden || Date.now() - lastFrames < Math.max(FRAME_REFRESH_MS, tiles.size * FRAME_MS_PER_CAMERA)) return;
    lastFrames = Date.now();
    tiles.forEach((t) => void t.view.refresh().catch(() => undefined));
  }, 500);
  const statuses = setInterval(() => void reload().catch(showError), STATUS_REFRESH_MS);
  // Events come in bursts (an alert updates every few seconds per camera): one reload per burst.
  let pending: ReturnType<typeof setTimeout> | null = null;
  const off = ctx.events.on((e) => {
    if (pending || !(e.type.startsWith('camera.') || e.type.startsWith('alert.'))) return;
    pending = setTimeout(() => {
      pending = null;
      void reload().catch(showError);
    }, 500);
  });
  return {
    element,
    dispose() {
      clearInterval(frames);
      clearInterval(statuses);
      if (pending) clearTimeout(pending);
      off();
      tiles.forEach((t) => t.view.dispose());
    },
  };
}
