import type { ApiClient } from '../api/api-client.ts';
import type { Camera, CameraInput, ModelInfo } from '../api/types.ts';
import { h, showError } from '../ui/dom.ts';

function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  return h('label', { className: 'field' }, h('span', { textContent: label }), input, hint ? h('small', { className: 'muted', textContent: hint }) : null);
}

function numberInput(name: string, value: number | undefined, attrs: { min?: number; max?: number; step?: number | 'any' } = {}): HTMLInputElement {
  return h('input', { name, type: 'number', value: value === undefined ? '' : String(value), min: String(attrs.min ?? ''), max: String(attrs.max ?? ''), step: String(attrs.step ?? 'any') });
}

/** The number in an input, or a clear message naming the field when it is not one. */
function readNumber(form: HTMLFormElement, name: string, label: string, scale = 1): number {
  const raw = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value)) throw new Error(`${label} must be a number`);
  return value * scale;
}

/** Finer tiles: the detector's input divided by this, so each tile is enlarged as much into it. */
const FINE_TILE_ENLARGEMENT = 1.5;

/** The tile size of the "finer tiles" choice for a detector, or null when its input size is unknown. */
export function fineTiles(model: ModelInfo | undefined): { tileWidth: number; tileHeight: number } | null {
  if (!model?.input) return null;
  return { tileWidth: Math.round(model.input.width / FINE_TILE_ENLARGEMENT), tileHeight: Math.round(model.input.height / FINE_TILE_ENLARGEMENT) };
}

type TilingChoice = 'model' | 'fine' | 'whole' | 'custom';

/** Which choice a camera's stored tiling override is; anything else set through the API is "custom". */
function tilingChoice(tiling: Camera['tiling'], model: ModelInfo | undefined): TilingChoice {
  if (!tiling || Object.keys(tiling).length === 0) return 'model';
  if (tiling.enabled === false) return 'whole';
  const fine = fineTiles(model);
  const { enabled, tileWidth, tileHeight, ...rest } = tiling;
  const isFine = fine && enabled && tileWidth === fine.tileWidth && tileHeight === fine.tileHeight && Object.keys(rest).length === 0;
  return isFine ? 'fine' : 'custom';
}

/**
 * Add or edit a camera in a dialog: source URL, sampling, detector, how it runs over a frame and alert rules. On edit the
 * URL shows with its credentials masked, and is sent only if the operator changed it (sending
 * the masked one back would overwrite the password).
 */
export function openCameraForm(api: ApiClient, models: ModelInfo[], camera: Camera | null, onSaved: (camera: Camera) => void): void {
  const rules = camera?.rules;
  const detectors = models.filter((m) => m.task === 'detect');
  const detector = h('select', { name: 'detectorModel' }, ...detectors.map((m) => h('option', { value: m.name, textContent: m.name, selected: m.name === camera?.detectorModel })));
  const current = tilingChoice(camera?.tiling, models.find((m) => m.name === camera?.detectorModel));
  const tiling = h(
    'select',
    { name: 'tiling' },
    h('option', { value: 'model', textContent: "Tiles as the detector's config says", selected: current === 'model' }),
    h('option', { value: 'fine', textContent: 'Finer tiles: distant or tiny debris (~1.6x the work)', selected: current === 'fine' }),
    h('option', { value: 'whole', textContent: 'Whole frame: fastest, misses the smallest debris', selected: current === 'whole' }),
    current === 'custom' ? h('option', { value: 'custom', textContent: `As set through the API: ${JSON.stringify(camera!.tiling)}`, selected: true }) : null,
  );
  const sourceUrl = h('input', { name: 'sourceUrl', type: 'text', required: true, value: camera?.sourceUrl ?? '', placeholder: 'rtsp://camera.example/stream', spellcheck: false });
  const error = h('p', { className: 'error', role: 'alert' });
  const form = h(
    'form',
    { method: 'dialog', className: 'camera-form' },
    h('h2', { textContent: camera ? `Edit ${camera.name}` : 'Add a camera' }),
    field('Name', h('input', { name: 'name', type: 'text', required: true, maxLength: 100, value: camera?.name ?? '' })),
    field('Source URL', sourceUrl, 'rtsp://, rtmp://, http(s):// (MJPEG or snapshots) or file://'),
    h(
      'div',
      { className: 'row' },
      field('Frames per second', numberInput('fps', camera?.fps ?? 1, { min: 0.01, max: 30 })),
      field('Max width (px)', numberInput('maxWidth', camera?.maxWidth ?? 1280, { min: 64, max: 7680, step: 1 })),
    ),
    detectors.length ? field('Detector', detector) : null,
    field('Small debris', tiling, 'Frames larger than the detector input run as overlapping tiles (docs/models.md)'),
    h('label', { className: 'check' }, h('input', { name: 'enabled', type: 'checkbox', checked: camera?.enabled ?? true }), ' Enabled (ingest pulls it)'),
    h('h3', { textContent: 'Alert rules' }),
    h(
      'div',
      { className: 'row' },
      field('Min score', numberInput('minScore', rules?.minScore ?? 0.35, { min: 0, max: 1, step: 0.05 })),
      field('Min items', numberInput('minCount', rules?.minCount ?? 1, { min: 1, step: 1 })),
      field('In n frames', numberInput('persistenceN', rules?.persistence.n ?? 3, { min: 1, step: 1 })),
      field('of the last m', numberInput('persistenceM', rules?.persistence.m ?? 5, { min: 1, step: 1 })),
    ),
    h(
      'div',
      { className: 'row' },
      field('Coverage alert (%)', numberInput('coverage', (rules?.coverage.threshold ?? 0.05) * 100, { min: 0, max: 100 })),
      field('Growth (%/min)', numberInput('growth', (rules?.coverage.growthPerMinute ?? 0.02) * 100, { min: 0, max: 100 })),
      field('On water (%)', numberInput('minWaterOverlap', (rules?.minWaterOverlap ?? 0.5) * 100, { min: 0, max: 100 })),
      field('Resolve after (s)', numberInput('resolveAfterSeconds', rules?.resolveAfterSeconds ?? 10, { min: 0, step: 1 })),
    ),
    error,
    h('div', { className: 'actions' }, h('button', { type: 'button', value: 'cancel', textContent: 'Cancel', className: 'secondary', onclick: () => dialog.close() }), h('button', { type: 'submit', textContent: camera ? 'Save' : 'Add camera' })),
  );
  const dialog = h('dialog', { className: 'modal' }, form);
  dialog.addEventListener('close', () => dialog.remove());

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    let body: CameraInput;
    try {
      const n = readNumber(form, 'persistenceN', 'n');
      const m = readNumber(form, 'persistenceM', 'm');
      if (n > m) throw new Error('n frames cannot be more than the last m');
      body = {
        name: (form.elements.namedItem('name') as HTMLInputElement).value.trim(),
        fps: readNumber(form, 'fps', 'Frames per second'),
        maxWidth: readNumber(form, 'maxWidth', 'Max width'),
        enabled: (form.elements.namedItem('enabled') as HTMLInputElement).checked,
        rules: {
          minScore: readNumber(form, 'minScore', 'Min score'),
          minCount: readNumber(form, 'minCount', 'Min items'),
          persistence: { n, m },
          coverage: { threshold: readNumber(form, 'coverage', 'Coverage', 0.01), growthPerMinute: readNumber(form, 'growth', 'Growth', 0.01) },
          minWaterOverlap: readNumber(form, 'minWaterOverlap', 'On water', 0.01),
          resolveAfterSeconds: readNumber(form, 'resolveAfterSeconds', 'Resolve after'),
        },
      };
      if (detectors.length) body.detectorModel = detector.value;
      const choice = tiling.value as TilingChoice;
      if (choice === 'whole') body.tiling = { enabled: false };
      else if (choice === 'fine') {
        const fine = fineTiles(models.find((m) => m.name === (detectors.length ? detector.value : camera?.detectorModel)));
        if (!fine) throw new Error("Finer tiles need the detector's input size, which its config.json does not give");
        body.tiling = { enabled: true, ...fine };
      } else if (choice === 'model' && camera?.tiling) body.tiling = {};
      const url = sourceUrl.value.trim();
      if (!camera || url !== camera.sourceUrl) body.sourceUrl = url;
    } catch (err) {
      error.textContent = (err as Error).message;
      return;
    }
    const saving = camera ? api.send<Camera>('PATCH', `/v1/cameras/${camera.id}`, body) : api.send<Camera>('POST', '/v1/cameras', body);
    saving
      .then((saved) => {
        dialog.close();
        if (saved) onSaved(saved);
      })
      .catch((err: Error) => {
        error.textContent = err.message;
        showError(err);
      });
  });
  document.body.append(dialog);
  dialog.showModal();
}
