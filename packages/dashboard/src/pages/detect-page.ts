import type { DetectResult, ModelInfo } from '../api/types.ts';
import type { AppContext, Page } from '../app-context.ts';
import { h, showError } from '../ui/dom.ts';
import { drawScene, type FrameScene } from '../ui/frame-canvas.ts';
import { percent } from '../ui/format.ts';
import { modelCard } from '../ui/model-card.ts';

const ACCEPTED = ['image/jpeg', 'image/png'];

/** Drop a picture, see what the pipeline finds in it (boxes, water mask) with the chosen detector. */
export function detectPage(ctx: AppContext): Page {
  const { api } = ctx;
  let models: ModelInfo[] = [];
  const scene: FrameScene = { image: null, width: 640, height: 360, detections: [], mask: null, zones: { include: [], exclude: [] }, draft: null, selected: null, show: { boxes: true, mask: true, zones: false } };
  const canvas = h('canvas', { className: 'frame', id: 'detect-canvas' });
  const model = h('select', { id: 'detect-model', name: 'model' });
  const card = h('div', {});
  const results = h('ul', { id: 'detections', className: 'detections' });
  const summary = h('p', { className: 'muted', id: 'detect-summary' });
  const file = h('input', { type: 'file', accept: ACCEPTED.join(','), id: 'detect-file' });
  const maskToggle = h('input', { type: 'checkbox', checked: true, id: 'detect-mask' });
  maskToggle.addEventListener('change', () => ((scene.show.mask = maskToggle.checked), drawScene(canvas, scene)));
  const drop = h(
    'label',
    { className: 'drop-zone', id: 'drop-zone', htmlFor: 'detect-file' },
    h('strong', { textContent: 'Drop a river picture here' }),
    h('span', { className: 'muted', textContent: 'or click to choose a JPEG or PNG' }),
    file,
  );

  /** The chosen detector's card; with "pipeline default", the one the last detection used. */
  function showModel(used?: string): void {
    const name = model.value || used;
    const m = models.find((x) => x.name === name);
    card.replaceChildren(m ? modelCard(m) : h('p', { className: 'muted', textContent: 'The pipeline default detector: its figures show after the first detection.' }));
  }
  model.addEventListener('change', () => showModel());

  async function detect(picture: File): Promise<void> {
    if (!ACCEPTED.includes(picture.type)) throw new Error(`${picture.name || 'that file'} is not a JPEG or PNG picture`);
    summary.textContent = 'Detecting…';
    results.replaceChildren();
    drop.classList.add('busy');
    try {
      const form = new FormData();
      form.append('image', picture, picture.name || 'upload');
      const q = model.value ? `?model=${encodeURIComponent(model.value)}` : '';
      const result = await api.json<DetectResult>(`/v1/detect${q}`, { method: 'POST', body: form });
      scene.image?.close();
      scene.mask?.close();
      Object.assign(scene, { image: await createImageBitmap(picture), width: result.width, height: result.height, detections: result.detections, mask: null });
      if (result.maskUrl) scene.mask = await api.bitmap(result.maskUrl);
      drawScene(canvas, scene);
      canvas.dataset.frameId = result.frameId;
      showModel(result.models.detector);
      results.replaceChildren(
        ...result.detections.map((d) => h('li', { textContent: `${d.className} ${Math.round(d.score * 100)}% at [${d.box.map(Math.round).join(', ')}]${d.onWater !== undefined ? ` · ${percent(d.onWater, 0)} on water` : ''}` })),
      );
      summary.textContent =
        `${result.detections.length} on the water, ${result.ignored} ignored (off the water or low score) · ` +
        `${result.waterShare === null ? 'no water mask' : `water ${percent(result.waterShare, 0)} of the picture`} · ${result.models.detector} v${result.models.detectorVersion} · ${result.latencyMs.total} ms`;
    } finally {
      drop.classList.remove('busy');
    }
  }

  const run = (picture: File | undefined) => picture && void detect(picture).catch((err: Error) => ((summary.textContent = ''), showError(err)));
  file.addEventListener('change', () => run(file.files?.[0]));
  drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    run(e.dataTransfer?.files[0]);
  });

  void api
    .json<{ items: ModelInfo[] }>('/v1/models')
    .then(({ items }) => {
      models = items;
      // Empty: no ?model=, so the worker's default detector (the one cameras use unless set) runs.
      model.replaceChildren(h('option', { value: '', textContent: 'Pipeline default' }), ...items.filter((m) => m.task === 'detect').map((m) => h('option', { value: m.name, textContent: m.name })));
      const seg = items.find((m) => m.task === 'segment');
      showModel();
      if (seg) segCard.replaceChildren(modelCard(seg));
    })
    .catch(showError);
  const segCard = h('div', {});
  drawScene(canvas, scene);

  const body = ctx.canWrite
    ? h('div', { className: 'detect-layout' }, h('div', { className: 'card' }, drop, canvas, h('label', { className: 'check' }, maskToggle, ' Water mask'), summary, results), h('div', { className: 'card' }, h('label', { className: 'field' }, h('span', { textContent: 'Detector' }), model), card, segCard))
    : h('p', { className: 'muted', textContent: 'Detection runs the pipeline and needs an operator key; this key is a viewer.' });
  const element = h('section', { className: 'page detect-page' }, h('div', { className: 'page-head' }, h('h1', { textContent: 'Detect' })), body);
  return { element, dispose: () => (scene.image?.close(), scene.mask?.close()) };
}
