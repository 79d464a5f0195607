import type { ApiClient } from '../api/api-client.ts';
import type { Alert } from '../api/types.ts';
import { loadInto } from './blob-image.ts';
import { h, showError } from './dom.ts';
import { alertTypeLabel, classSummary, dateTime, percent } from './format.ts';

/** The alert's annotated snapshot (the worker drew the boxes and the water edge on it), full size. */
export function openSnapshot(api: ApiClient, alert: Alert, cameraName: string): void {
  const img = h('img', { className: 'snapshot-full', alt: `annotated snapshot of the ${alertTypeLabel(alert.type)} alert` });
  const dialog = h(
    'dialog',
    { className: 'modal snapshot-viewer' },
    h('header', {}, h('h2', { textContent: `${alertTypeLabel(alert.type)} · ${cameraName}` }), h('button', { type: 'button', textContent: 'Close', className: 'secondary', onclick: () => dialog.close() })),
    img,
    h('p', { className: 'muted', textContent: `${dateTime(alert.lastSeenAt)} · ${classSummary(alert.classes)} · up to ${percent(alert.maxCoverage)} of the water · tracks ${alert.trackIds.join(', ') || '—'}` }),
  );
  dialog.addEventListener('close', () => {
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    dialog.remove();
  });
  dialog.addEventListener('click', (e) => e.target === dialog && dialog.close());
  document.body.append(dialog);
  dialog.showModal();
  loadInto(img, api, `/v1/alerts/${alert.id}/snapshot`).catch(showError);
}
