// The operator dashboard: plain DOM, no build step. Data only ever goes into textContent.
const state = { key: sessionStorage.getItem('riverwatch.key') ?? '', source: null, cameras: new Map(), maskUrls: new Map() };

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${state.key}` } });
  if (!res.ok) throw new Error(`${res.status} ${(await res.json().catch(() => ({}))).message ?? res.statusText}`);
  return res;
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c);
  return node;
}

const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '—');

async function loadCameras() {
  const { items } = await (await api('/v1/cameras')).json();
  const body = document.querySelector('#cameras tbody');
  body.replaceChildren();
  for (const cam of items) {
    state.cameras.set(cam.id, cam.name);
    const s = await (await api(`/v1/cameras/${cam.id}/status`)).json();
    body.append(
      el('tr', {},
        el('td', { textContent: cam.name, title: cam.id }),
        el('td', { textContent: s.state, className: `state-${s.state}` }),
        el('td', { textContent: `${s.fpsIn.toFixed(1)} / ${s.fpsOut.toFixed(1)}` }),
        el('td', { textContent: String(s.drops) }),
        el('td', { textContent: time(s.lastFrameAt) }),
        el('td', {}, maskImage(cam))),
    );
  }
}

/** The camera's current water mask (white = water), fetched with the key; '—' before the first segmentation. */
function maskImage(cam) {
  const img = el('img', { className: 'mask', alt: `water mask of ${cam.name}`, title: 'water mask: detections count only on white' });
  api(`/v1/cameras/${cam.id}/mask.png`)
    .then((res) => res.blob())
    .then((blob) => {
      URL.revokeObjectURL(state.maskUrls.get(cam.id) ?? '');
      const url = URL.createObjectURL(blob);
      state.maskUrls.set(cam.id, url);
      img.src = url;
    })
    .catch(() => img.replaceWith(document.createTextNode('—')));
  return img;
}

async function snapshotInto(img, alert) {
  if (!alert.snapshotKey) return;
  const blob = await (await api(`/v1/alerts/${alert.id}/snapshot`)).blob();
  img.src = URL.createObjectURL(blob);
}

async function act(alert, action) {
  await api(`/v1/alerts/${alert.id}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await loadAlerts();
}

async function loadAlerts() {
  const { items } = await (await api('/v1/alerts?status=open&status=acknowledged&limit=50')).json();
  const box = document.querySelector('#alerts');
  box.replaceChildren();
  if (!items.length) box.append(el('p', { textContent: 'No open alerts.' }));
  for (const a of items) {
    const img = el('img', { alt: `snapshot of ${a.type} alert` });
    const classes = Object.entries(a.classes).map(([k, v]) => `${k} ${v}`).join(', ') || '—';
    const buttons = ['ack', 'resolve', 'reject'].map((action) =>
      el('button', { textContent: action, onclick: () => act(a, action).catch(showError) }));
    box.append(el('div', { className: 'alert' }, img,
      el('div', {},
        el('strong', { textContent: `${a.type} — ${state.cameras.get(a.cameraId) ?? a.cameraId}` }),
        el('div', { textContent: `${a.status} since ${time(a.openedAt)}; ${a.frames} frames; coverage ${(a.maxCoverage * 100).toFixed(1)}%` }),
        el('div', { textContent: classes }),
        el('div', {}, ...buttons))));
    snapshotInto(img, a).catch(() => {});
  }
}

function connectEvents() {
  state.source?.close();
  const live = document.querySelector('#live');
  const source = new EventSource(`/v1/events?access_token=${encodeURIComponent(state.key)}`);
  state.source = source;
  source.onopen = () => (live.textContent = '● live');
  source.onerror = () => (live.textContent = '○ reconnecting');
  const onEvent = (msg) => {
    const e = JSON.parse(msg.data);
    const list = document.querySelector('#events');
    list.prepend(el('li', { textContent: `${time(e.at)} ${e.type} ${e.cameraId ?? ''}` }));
    while (list.children.length > 100) list.lastChild.remove();
    if (e.type.startsWith('alert.')) loadAlerts().catch(showError);
    if (e.type.startsWith('camera.')) loadCameras().catch(showError);
  };
  for (const type of ['alert.opened', 'alert.updated', 'alert.resolved', 'alert.acknowledged', 'alert.rejected', 'camera.offline', 'camera.recovered', 'camera.created', 'camera.updated', 'camera.deleted']) {
    source.addEventListener(type, onEvent);
  }
}

function showError(err) {
  document.querySelector('#who').textContent = `⚠ ${err.message}`;
}

async function start() {
  if (!state.key) return;
  document.querySelector('#who').textContent = '';
  // Cameras first: alerts show camera names from the camera list.
  await loadCameras();
  await loadAlerts();
  connectEvents();
  setInterval(() => loadCameras().catch(showError), 15_000);
}

document.querySelector('#login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.key = document.querySelector('#key').value.trim();
  sessionStorage.setItem('riverwatch.key', state.key);
  start().catch(showError);
});
start().catch(showError);
