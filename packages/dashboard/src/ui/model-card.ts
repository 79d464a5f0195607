import type { ModelInfo } from '../api/types.ts';
import { h } from './dom.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v));

/**
 * The evaluation figures a model shipped with (its config.json). Their shape varies by task, so
 * scalars become rows and a per-class map becomes a table.
 */
export function modelCard(model: ModelInfo): HTMLElement {
  const evaluation = isRecord(model.evaluation) ? model.evaluation : null;
  const card = h('div', { className: 'model-card', id: 'model-card' }, h('h3', { textContent: `${model.name} v${Math.max(0, ...model.versions)}` }), h('p', { className: 'muted', textContent: `${model.task} · ${model.format} · ${model.classes.join(', ') || 'no classes'}` }));
  if (!evaluation) {
    card.append(h('p', { className: 'muted', textContent: 'No evaluation figures shipped with this model.' }));
    return card;
  }
  const scalars = Object.entries(evaluation).filter(([, v]) => typeof v !== 'object' || v === null);
  card.append(h('table', { className: 'figures' }, h('tbody', {}, ...scalars.map(([k, v]) => h('tr', {}, h('th', { textContent: k }), h('td', { textContent: show(v) }))))));
  for (const [name, value] of Object.entries(evaluation)) {
    if (!isRecord(value)) continue;
    const rows = Object.entries(value).filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]));
    if (!rows.length) continue;
    const columns = [...new Set(rows.flatMap(([, r]) => Object.keys(r)))];
    card.append(
      h(
        'table',
        { className: 'figures' },
        h('caption', { textContent: name }),
        h('thead', {}, h('tr', {}, h('th', {}), ...columns.map((c) => h('th', { textContent: c })))),
        h('tbody', {}, ...rows.map(([label, r]) => h('tr', {}, h('th', { textContent: label }), ...columns.map((c) => h('td', { textContent: r[c] === undefined ? '—' : show(r[c]) }))))),
      ),
    );
  }
  return card;
}
