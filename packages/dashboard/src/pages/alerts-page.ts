import { ALERT_STATUSES, ALERT_TYPES, type Alert, type AlertPage, type Camera } from '../api/types.ts';
import type { AppContext, Page } from '../app-context.ts';
import { alertCard } from '../ui/alert-card.ts';
import { button, h, showError } from '../ui/dom.ts';
import { alertTypeLabel } from '../ui/format.ts';

interface AlertFilter {
  camera: string;
  type: string;
  status: string;
  from: string;
  to: string;
}

function select(name: string, label: string, options: [string, string][]): HTMLSelectElement {
  return h('select', { name, title: label }, ...options.map(([value, text]) => h('option', { value, textContent: text })));
}

function matches(alert: Alert, f: AlertFilter): boolean {
  if (f.camera && alert.cameraId !== f.camera) return false;
  if (f.type && alert.type !== f.type) return false;
  if (f.status === 'active' ? !['open', 'acknowledged'].includes(alert.status) : f.status && alert.status !== f.status) return false;
  if (f.from && alert.openedAt < new Date(f.from).getTime()) return false;
  if (f.to && alert.openedAt > new Date(f.to).getTime()) return false;
  return true;
}

/** Alerts with filters, kept current by the live event stream; operators act on them here. */
export function alertsPage(ctx: AppContext): Page {
  const { api } = ctx;
  const names = new Map<string, string>();
  const alerts = new Map<string, Alert>();
  const cards = new Map<string, { updatedAt: number; status: string; el: HTMLElement }>();
  const list = h('div', { id: 'alerts', className: 'alert-list' });
  const empty = h('p', { className: 'muted', textContent: 'Loading alerts…' });
  const more = button('Older alerts', () => load(true), { className: 'secondary', hidden: true });
  let cursor: string | null = null;

  const camera = select('camera', 'camera', [['', 'All cameras']]);
  const type = select('type', 'type', [['', 'All types'], ...ALERT_TYPES.map((t): [string, string] => [t, alertTypeLabel(t)])]);
  const status = select('status', 'status', [['active', 'Open or acknowledged'], ['', 'Any status'], ...ALERT_STATUSES.map((s): [string, string] => [s, s])]);
  const from = h('input', { type: 'datetime-local', name: 'from', title: 'opened after' });
  const to = h('input', { type: 'datetime-local', name: 'to', title: 'opened before' });
  const filters = h('form', { className: 'filters', id: 'alert-filters' }, camera, type, status, h('label', {}, 'from ', from), h('label', {}, 'to ', to));
  const filter = (): AlertFilter => ({ camera: camera.value, type: type.value, status: status.value, from: from.value, to: to.value });
  filters.addEventListener('change', () => void load(false).catch(showError));

  function render(): void {
    const f = filter();
    const shown = [...alerts.values()].filter((a) => matches(a, f)).sort((a, b) => b.openedAt - a.openedAt);
    for (const alert of shown) {
      const cached = cards.get(alert.id);
      if (!cached || cached.updatedAt !== alert.updatedAt || cached.status !== alert.status) {
        const el = alertCard(api, alert, names.get(alert.cameraId) ?? alert.cameraId, ctx.canWrite, (changed) => upsert(changed));
        cached?.el.replaceWith(el);
        cards.set(alert.id, { updatedAt: alert.updatedAt, status: alert.status, el });
      }
    }
    list.replaceChildren(...shown.map((a) => cards.get(a.id)!.el));
    empty.textContent = shown.length ? '' : 'No alerts match.';
  }

  function upsert(alert: Alert, live = false): void {
    alerts.set(alert.id, alert);
    render();
    // What arrived live flashes once, so an operator glancing at the screen sees what changed.
    if (live) cards.get(alert.id)?.el.classList.add('fresh');
  }

  async function load(older: boolean): Promise<void> {
    const f = filter();
    const q = new URLSearchParams({ limit: '50' });
    if (f.camera) q.set('camera', f.camera);
    if (f.type) q.append('type', f.type);
    if (f.status === 'active') ['open', 'acknowledged'].forEach((s) => q.append('status', s));
    else if (f.status) q.append('status', f.status);
    if (f.from) q.set('from', new Date(f.from).toISOString());
    if (f.to) q.set('to', new Date(f.to).toISOString());
    if (older && cursor) q.set('cursor', cursor);
    const page = await api.json<AlertPage>(`/v1/alerts?${q.toString()}`);
    if (!older) alerts.clear();
    for (const a of page.items) alerts.set(a.id, a);
    cursor = page.nextCursor;
    more.hidden = !cursor;
    render();
  }

  function addCamera(c: Pick<Camera, 'id' | 'name'>): void {
    if (!names.has(c.id)) camera.append(h('option', { value: c.id, textContent: c.name }));
    names.set(c.id, c.name);
  }

  const off = ctx.events.on((event) => {
    const alert = event.data.alert as Alert | undefined;
    const created = event.data.camera as Camera | undefined;
    if ((event.type === 'camera.created' || event.type === 'camera.updated') && created?.id) addCamera(created);
    if (event.type.startsWith('alert.') && alert?.id) upsert(alert, true);
  });

  void api
    .json<{ items: Camera[] }>('/v1/cameras')
    .then(({ items }) => {
      items.forEach(addCamera);
      return load(false);
    })
    .catch(showError);

  const element = h('section', { className: 'page alerts-page' }, h('div', { className: 'page-head' }, h('h1', { textContent: 'Alerts' })), filters, empty, list, more);
  return { element, dispose: off };
}
