import type { AlertPage, BucketName, Camera, CameraStatus, History, ModelInfo } from '../api/types.ts';
import type { AppContext, Page } from '../app-context.ts';
import { alertTimeline } from '../ui/alert-timeline.ts';
import { cameraHealth } from '../ui/camera-health.ts';
import { button, h, showError, showMessage } from '../ui/dom.ts';
import { clockTime, percent } from '../ui/format.ts';
import { historyChart } from '../ui/history-chart.ts';
import { LiveFrameView } from '../ui/live-frame-view.ts';
import { ZoneEditor } from '../ui/zone-editor.ts';
import { openCameraForm } from './camera-form.ts';

const FRAME_REFRESH_MS = 1_000;
const RANGES: { label: string; bucket: BucketName; spanMs: number }[] = [
  { label: 'Last hour (per minute)', bucket: '1m', spanMs: 3_600_000 },
  { label: 'Last day (per hour)', bucket: '1h', spanMs: 86_400_000 },
  { label: 'Last week (per day)', bucket: '1d', spanMs: 7 * 86_400_000 },
];

function toggle(label: string, checked: boolean, id: string, onChange: (on: boolean) => void): HTMLElement {
  const input = h('input', { type: 'checkbox', checked, id });
  input.addEventListener('change', () => onChange(input.checked));
  return h('label', { className: 'check' }, input, ` ${label}`);
}

function rulesTable(camera: Camera): HTMLElement {
  const r = camera.rules;
  const rows: [string, string][] = [
    ['Debris alert', `${r.minCount}+ items with score ≥ ${r.minScore} in ${r.persistence.n} of ${r.persistence.m} frames`],
    ['Accumulation alert', `${percent(r.coverage.threshold)} of the water covered, or growing ${percent(r.coverage.growthPerMinute)}/min`],
    ['Counts on water when', `≥ ${percent(r.minWaterOverlap, 0)} of the box is on water`],
    ['Resolves after', `${r.resolveAfterSeconds} s without its condition`],
    ['Zones', `${camera.zones.include.length} include, ${camera.zones.exclude.length} exclude`],
    ['Models', `${camera.detectorModel}, ${camera.segmenterModel}`],
  ];
  return h('table', { className: 'rules', id: 'rules' }, h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { textContent: k }), h('td', { textContent: v })))));
}

/** One camera: live view with overlays, zone drawing, rules, history and alert timeline. */
export function cameraPage(ctx: AppContext, cameraId: string): Page {
  const { api } = ctx;
  let camera: Camera | null = null;
  let models: ModelInfo[] = [];
  const view = new LiveFrameView(api, cameraId, (frame) => {
    caption.textContent = frame ? `frame ${clockTime(frame.capturedAt)} · ${frame.detections.length} items on the water` : 'No frame processed in the last hour';
  });
  const caption = h('p', { className: 'muted caption' });
  const editor = new ZoneEditor(view.canvas, { include: [], exclude: [] }, () => {
    view.scene.zones = editor.state.zones;
    view.scene.draft = editor.state.draft;
    view.scene.selected = editor.state.selected;
    view.redraw();
    zoneState.textContent = editor.state.draft ? `Drawing an ${editor.state.draft.kind} zone: click the corners, then click the first corner or Finish.` : editor.state.dirty ? 'Unsaved zone changes.' : '';
    saveZones.disabled = !editor.state.dirty;
  });
  const zoneState = h('p', { className: 'muted', id: 'zone-state' });
  const saveZones = button('Save zones', async () => {
    editor.finish();
    const saved = await api.send<Camera>('PATCH', `/v1/cameras/${cameraId}`, { zones: editor.state.zones });
    if (saved) camera = saved;
    editor.markSaved();
    showMessage('Zones saved: the worker uses them from its next frame');
    renderDetails();
  }, { id: 'save-zones', disabled: true });
  /** Zones are in the camera's frame pixels, which only a processed frame tells. */
  function startZone(kind: 'include' | 'exclude'): void {
    if (!view.frame) throw new Error('No frame from this camera yet: zones are drawn on one');
    editor.startDrawing(kind);
  }
  const zoneTools = ctx.canWrite
    ? h(
        'div',
        { className: 'zone-tools', id: 'zone-tools' },
        button('Draw include zone', () => startZone('include'), { className: 'secondary', id: 'draw-include' }),
        button('Draw exclude zone', () => startZone('exclude'), { className: 'secondary', id: 'draw-exclude' }),
        button('Finish', () => editor.finish(), { className: 'secondary', id: 'finish-zone' }),
        button('Undo corner', () => editor.undoPoint(), { className: 'secondary' }),
        button('Delete selected zone', () => editor.deleteSelected(), { className: 'danger' }),
        saveZones,
      )
    : null;
  const maskToggle = toggle('Water mask', false, 'toggle-mask', (on) => {
    view.scene.show.mask = on;
    if (on && !view.scene.mask) void view.loadMask().then((found) => found || showMessage('No water mask yet for this camera')).catch(showError);
    view.redraw();
  });
  view.scene.show.zones = true;
  const overlays = h(
    'div',
    { className: 'overlays' },
    toggle('Tracked boxes', true, 'toggle-boxes', (on) => ((view.scene.show.boxes = on), view.redraw())),
    maskToggle,
    toggle('Zones', true, 'toggle-zones', (on) => ((view.scene.show.zones = on), view.redraw())),
  );

  const title = h('h1', { textContent: 'Camera' });
  const badge = h('span', { className: 'badge' });
  const rules = h('div', {});
  const chartBox = h('div', { id: 'history' });
  const timeline = h('div', {});
  const range = h('select', { id: 'history-range' }, ...RANGES.map((r, i) => h('option', { value: String(i), textContent: r.label })));
  range.addEventListener('change', () => void loadHistory().catch(showError));
  const editButton = ctx.canWrite ? button(
        'Edit camera',
        () => {
          if (camera) openCameraForm(api, models, camera, (c) => ((camera = c), renderDetails()));
        },
        { className: 'secondary', id: 'edit-camera' },
      ) : null;

  function renderDetails(): void {
    if (!camera) return;
    title.textContent = camera.name;
    rules.replaceChildren(rulesTable(camera));
    editor.reset(camera.zones);
  }

  async function loadCamera(): Promise<void> {
    camera = await api.json<Camera>(`/v1/cameras/${cameraId}`);
    renderDetails();
    const status = await api.json<CameraStatus>(`/v1/cameras/${cameraId}/status`).catch(() => null);
    const health = camera.enabled ? cameraHealth(status, camera.fps) : 'stopped';
    badge.textContent = `${health} · ${(status?.fpsOut ?? 0).toFixed(1)} fps · ${status?.drops ?? 0} drops`;
    badge.className = `badge state-${health}`;
  }

  async function loadHistory(): Promise<void> {
    const r = RANGES[Number(range.value)] ?? RANGES[0]!;
    const to = Date.now();
    const q = new URLSearchParams({ bucket: r.bucket, from: String(to - r.spanMs), to: String(to) });
    const history = await api.json<History>(`/v1/cameras/${cameraId}/history?${q.toString()}`);
    chartBox.replaceChildren(historyChart(history, chartBox.clientWidth));
  }

  async function loadAlerts(): Promise<void> {
    const page = await api.json<AlertPage>(`/v1/alerts?camera=${cameraId}&limit=50`);
    timeline.replaceChildren(alertTimeline(api, page.items, camera?.name ?? cameraId));
  }

  const element = h(
    'section',
    { className: 'page camera-page' },
    h('div', { className: 'page-head' }, title, badge, editButton),
    h('div', { className: 'camera-layout' }, h('div', { className: 'live card' }, view.canvas, caption, overlays, zoneTools, zoneState), h('div', { className: 'card' }, h('h2', { textContent: 'Alert rules' }), rules)),
    h('div', { className: 'card' }, h('div', { className: 'page-head' }, h('h2', { textContent: 'History' }), range), chartBox),
    h('div', { className: 'card' }, h('h2', { textContent: 'Alerts' }), timeline),
  );

  void api.json<{ items: ModelInfo[] }>('/v1/models').then((m) => (models = m.items)).catch(() => undefined);
  void loadCamera()
    .then(() => Promise.all([view.refresh(), loadHistory(), loadAlerts()]))
    .catch(showError);
  const frames = setInterval(() => document.hidden || void view.refresh().catch(() => undefined), FRAME_REFRESH_MS);
  // The mask follows the water level: re-read it with the rest while it is shown.
  const slow = setInterval(() => void Promise.all([loadCamera(), loadHistory(), view.scene.show.mask ? view.loadMask() : null]).catch(showError), 30_000);
  const off = ctx.events.on((e) => {
    if (e.cameraId !== cameraId) return;
    if (e.type.startsWith('alert.')) void loadAlerts().catch(showError);
    if (e.type === 'camera.updated') void loadCamera().catch(showError);
  });
  return {
    element,
    dispose() {
      clearInterval(frames);
      clearInterval(slow);
      off();
      view.dispose();
    },
  };
}
