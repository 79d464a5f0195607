import type { ApiClient } from '../api/api-client.ts';
import type { Alert } from '../api/types.ts';
import { loadInto } from './blob-image.ts';
import { button, h, showMessage } from './dom.ts';
import { alertTypeLabel, classSummary, clockTime, dateTime, percent } from './format.ts';
import { openSnapshot } from './snapshot-viewer.ts';

type Action = 'ack' | 'resolve' | 'reject';
const ACTIONS: { action: Action; label: string; from: Alert['status'][] }[] = [
  { action: 'ack', label: 'Acknowledge', from: ['open'] },
  { action: 'resolve', label: 'Resolve', from: ['open', 'acknowledged'] },
  // A rejected alert's frames go to the labelling set as a false positive.
  { action: 'reject', label: 'Reject (false alarm)', from: ['open', 'acknowledged', 'resolved'] },
];

/**
 * One alert: snapshot, what was seen, and for operators the actions its status allows, with
 * an optional note. `onChanged` gets the alert as the API returns it after an action.
 */
export function alertCard(api: ApiClient, alert: Alert, cameraName: string, canWrite: boolean, onChanged: (alert: Alert) => void): HTMLElement {
  const thumb = h('img', { className: 'thumb', alt: `snapshot of the ${alertTypeLabel(alert.type)} alert` });
  const note = h('input', { type: 'text', className: 'note', placeholder: 'Note (optional)', maxLength: 1000, value: '' });
  const allowed = ACTIONS.filter((a) => a.from.includes(alert.status));
  const act = async (action: Action, label: string) => {
    const body = note.value.trim() ? { note: note.value.trim() } : {};
    const updated = await api.send<Alert>('POST', `/v1/alerts/${alert.id}/${action}`, body);
    showMessage(`${label}: ${alertTypeLabel(alert.type)} on ${cameraName}`);
    if (updated) onChanged(updated);
  };
  const card = h(
    'article',
    { className: `alert card status-${alert.status}`, dataset: { alertId: alert.id, status: alert.status } },
    alert.snapshotKey ? h('button', { type: 'button', className: 'thumb-button', title: 'Show the snapshot', onclick: () => openSnapshot(api, alert, cameraName) }, thumb) : h('div', { className: 'thumb none', textContent: 'no snapshot' }),
    h(
      'div',
      { className: 'alert-body' },
      h('header', {}, h('strong', { className: 'alert-title', textContent: `${alertTypeLabel(alert.type)} — ${cameraName}` }), h('span', { className: `badge status-${alert.status}`, textContent: alert.status })),
      h('div', { textContent: `opened ${dateTime(alert.openedAt)} · last seen ${clockTime(alert.lastSeenAt)} · ${alert.frames} frames` }),
      h('div', { textContent: `${classSummary(alert.classes)} · up to ${percent(alert.maxCoverage)} of the water` }),
      alert.acknowledgedBy ? h('div', { className: 'muted', textContent: `acknowledged by ${alert.acknowledgedBy}` }) : null,
      alert.note ? h('div', { className: 'muted note-text', textContent: `note: ${alert.note}` }) : null,
      canWrite && allowed.length ? h('div', { className: 'actions' }, note, ...allowed.map((a) => button(a.label, () => act(a.action, a.label), { className: a.action === 'reject' ? 'danger' : '', dataset: { action: a.action } }))) : null,
    ),
  );
  if (alert.snapshotKey) void loadInto(thumb, api, `/v1/alerts/${alert.id}/snapshot`).catch(() => undefined);
  return card;
}
