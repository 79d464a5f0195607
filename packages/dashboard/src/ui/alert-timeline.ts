import type { ApiClient } from '../api/api-client.ts';
import type { Alert } from '../api/types.ts';
import { loadInto } from './blob-image.ts';
import { h } from './dom.ts';
import { alertTypeLabel, classSummary, dateTime } from './format.ts';
import { openSnapshot } from './snapshot-viewer.ts';

/** A camera's alerts, newest first, each with its snapshot (click for full size). */
export function alertTimeline(api: ApiClient, alerts: Alert[], cameraName: string): HTMLElement {
  if (!alerts.length) return h('p', { className: 'muted', textContent: 'No alerts for this camera.' });
  return h(
    'ol',
    { className: 'timeline', id: 'alert-timeline' },
    ...alerts.map((alert) => {
      const img = h('img', { className: 'thumb', alt: `snapshot of the ${alertTypeLabel(alert.type)} alert` });
      if (alert.snapshotKey) void loadInto(img, api, `/v1/alerts/${alert.id}/snapshot`).catch(() => undefined);
      return h(
        'li',
        { className: `status-${alert.status}` },
        h('time', { textContent: dateTime(alert.openedAt) }),
        alert.snapshotKey ? h('button', { type: 'button', className: 'thumb-button', onclick: () => openSnapshot(api, alert, cameraName) }, img) : null,
        h('div', {}, h('strong', { textContent: alertTypeLabel(alert.type) }), ` · ${alert.status} · ${classSummary(alert.classes)}`, alert.note ? h('div', { className: 'muted', textContent: alert.note }) : null),
      );
    }),
  );
}
