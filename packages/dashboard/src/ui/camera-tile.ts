import type { ApiClient } from '../api/api-client.ts';
import type { Alert, Camera, CameraStatus } from '../api/types.ts';
import { href } from '../router.ts';
import { cameraHealth } from './camera-health.ts';
import { button, h } from './dom.ts';
import { alertTypeLabel, clockTime } from './format.ts';
import { LiveFrameView } from './live-frame-view.ts';

export interface TileActions {
  edit(camera: Camera): void;
  remove(camera: Camera): void;
}

/** One camera on the wall: its newest frame with boxes, its health and its open alerts. */
export class CameraTile {
  readonly element: HTMLElement;
  readonly view: LiveFrameView;
  private readonly title = h('a', { className: 'name' });
  private readonly badge = h('span', { className: 'badge' });
  private readonly stats = h('div', { className: 'stats' });
  private readonly alerts = h('ul', { className: 'tile-alerts' });
  private readonly caption = h('div', { className: 'caption muted' });
  private camera: Camera;

  constructor(api: ApiClient, camera: Camera, actions: TileActions | null) {
    this.camera = camera;
    this.view = new LiveFrameView(api, camera.id, (frame) => {
      this.caption.textContent = frame ? `${clockTime(frame.capturedAt)} · ${frame.detections.length} on the water` : 'No frame processed yet';
    });
    const frameLink = h('a', { href: href({ name: 'camera', id: camera.id }), className: 'frame-link' }, this.view.canvas);
    this.element = h(
      'article',
      { className: 'tile card', dataset: { cameraId: camera.id } },
      frameLink,
      h('header', {}, this.title, this.badge),
      this.caption,
      this.stats,
      this.alerts,
      actions
        ? h('div', { className: 'actions' }, button('Edit', () => actions.edit(this.camera), { className: 'secondary' }), button('Delete', () => actions.remove(this.camera), { className: 'danger' }))
        : null,
    );
    this.update(camera, null, []);
  }

  /** The camera as just saved: what the next Edit starts from, even before the wall's reload arrives. */
  saved(camera: Camera): void {
    this.camera = camera;
    this.title.textContent = camera.name;
  }

  update(camera: Camera, status: CameraStatus | null, openAlerts: Alert[]): void {
    this.camera = camera;
    this.title.textContent = camera.name;
    this.title.href = href({ name: 'camera', id: camera.id });
    const health = camera.enabled ? cameraHealth(status, camera.fps) : 'stopped';
    this.badge.textContent = health;
    this.badge.className = `badge state-${health}`;
    this.stats.replaceChildren(
      h('span', { textContent: `${(status?.fpsOut ?? 0).toFixed(1)} / ${camera.fps} fps` }),
      h('span', { textContent: `${status?.drops ?? 0} drops` }),
      h('span', { textContent: `last ${clockTime(status?.lastFrameAt ?? null)}` }),
    );
    this.alerts.replaceChildren(
      ...openAlerts.map((a) =>
        h('li', { className: `alert-chip status-${a.status}` }, h('a', { href: href({ name: 'alerts' }), textContent: `${alertTypeLabel(a.type)} · ${a.status} since ${clockTime(a.openedAt)}` })),
      ),
    );
    this.element.classList.toggle('alerting', openAlerts.some((a) => a.status === 'open'));
  }
}
