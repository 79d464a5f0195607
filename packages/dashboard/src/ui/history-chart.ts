import type { History } from '../api/types.ts';
import { h, svg } from './dom.ts';

const H = 240;
const PAD = { left: 40, right: 48, top: 12, bottom: 28 };

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / step) * step;
}

function tickLabel(ms: number, bucketMs: number): string {
  const d = new Date(ms);
  if (bucketMs >= 86_400_000) return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/**
 * Debris over time, per bucket: unique tracked items (bars), the most items in one frame (line)
 * and mean water coverage (dashed line, right axis). SVG drawn here: no chart library, no CDN.
 */
export function historyChart(history: History, width: number): HTMLElement {
  // Drawn at the width it is shown at, so labels keep their size on a phone and a wall screen alike.
  const W = Math.max(320, Math.round(width) || 720);
  const slots = Math.max(1, Math.ceil((history.to - history.from) / history.bucketMs));
  const first = Math.floor(history.from / history.bucketMs) * history.bucketMs;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slotW = innerW / slots;
  const x = (start: number) => PAD.left + ((start - first) / history.bucketMs) * slotW;

  const counts = history.buckets.map((b) => sum(b.maxCounts));
  const yMax = niceMax(Math.max(1, ...counts, ...history.buckets.map((b) => b.uniqueItems)));
  const covMax = niceMax(Math.max(0.01, ...history.buckets.map((b) => b.coverage.mean)) * 100) / 100;
  const y = (v: number) => PAD.top + innerH - (v / yMax) * innerH;
  const yCov = (v: number) => PAD.top + innerH - (v / covMax) * innerH;

  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'history-chart', role: 'img', 'aria-label': 'debris history' });
  for (const frac of [0, 0.5, 1]) {
    const yy = PAD.top + innerH * (1 - frac);
    chart.append(
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, class: 'grid' }),
      svg('text', { x: PAD.left - 6, y: yy + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(yMax * frac))),
      svg('text', { x: W - PAD.right + 6, y: yy + 4, class: 'axis cov' }, `${Math.round(covMax * frac * 100)}%`),
    );
  }
  const ticks = Math.min(6, slots);
  for (let i = 0; i <= ticks; i++) {
    const t = first + Math.round((i * slots) / ticks) * history.bucketMs;
    chart.append(svg('text', { x: x(t), y: H - 8, class: 'axis', 'text-anchor': 'middle' }, tickLabel(t, history.bucketMs)));
  }
  for (const b of history.buckets) {
    const top = y(b.uniqueItems);
    chart.append(svg('rect', { x: x(b.start) + slotW * 0.15, y: top, width: Math.max(1, slotW * 0.7), height: PAD.top + innerH - top, class: 'bar-unique' }, svg('title', {}, `${b.uniqueItems} unique items`)));
  }
  const path = (points: [number, number][]) => points.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  if (history.buckets.length) {
    chart.append(
      svg('path', { d: path(history.buckets.map((b, i) => [x(b.start) + slotW / 2, y(counts[i]!)])), class: 'line-count' }),
      svg('path', { d: path(history.buckets.map((b) => [x(b.start) + slotW / 2, yCov(b.coverage.mean)])), class: 'line-coverage' }),
    );
    // Dots too: a lone bucket draws no line.
    history.buckets.forEach((b, i) =>
      chart.append(svg('circle', { cx: x(b.start) + slotW / 2, cy: y(counts[i]!), r: 3, class: 'dot-count' }, svg('title', {}, `${counts[i]} items at most in one frame, ${b.frames} frames`))),
    );
  }
  const legend = h(
    'div',
    { className: 'legend' },
    h('span', { className: 'key unique', textContent: 'unique items' }),
    h('span', { className: 'key count', textContent: 'most items in a frame' }),
    h('span', { className: 'key coverage', textContent: 'water covered (mean)' }),
  );
  const frames = history.buckets.reduce((n, b) => n + b.frames, 0);
  const note = h('p', { className: 'muted', textContent: frames ? `${frames} frame${frames === 1 ? '' : 's'}${history.truncated ? ' (range truncated: the newest were left out)' : ''}` : 'No frames in this range yet.' });
  return h('figure', { className: 'history' }, chart, legend, note);
}
