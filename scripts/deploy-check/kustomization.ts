import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { ImageOverride } from './image-ref.ts';
import { isRecord, type JsonObject } from './json-value.ts';
import { DeployCheckError } from './problem.ts';
import { parseSelector, type ResourceSelector } from './resource-selector.ts';

/** A patch entry, whichever field it came from; its text decides JSON 6902 (a list) or strategic merge. */
export interface PatchEntry {
  /** `patches[0]`, `patchesStrategicMerge[1]`: where the entry is in the kustomization. */
  entry: string;
  /** A patch file, relative to the kustomization's folder; absent for an inline patch. */
  path?: string;
  /** The patch itself when written inline. */
  inline?: string;
  target?: ResourceSelector;
  /** patchesJson6902 entries are JSON 6902 whatever their text parses as. */
  json6902?: boolean;
}

export interface LabelEntry {
  pairs: Record<string, string>;
  includeTemplates: boolean;
}

export interface Kustomization {
  /** The kustomization file, relative to the folder rendered from (for messages). */
  file: string;
  /** The folder it is in (absolute): resources and patch files are relative to it. */
  dir: string;
  resources: string[];
  namespace?: string;
  labels: LabelEntry[];
  images: ImageOverride[];
  strategicMergePatches: PatchEntry[];
  patches: PatchEntry[];
  json6902Patches: PatchEntry[];
}

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Fields Kustomize knows that this renderer does not implement: refused by name, never ignored. */
const UNSUPPORTED = [
  'bases', 'buildMetadata', 'commonAnnotations', 'commonLabels', 'components', 'configMapGenerator', 'configurations',
  'crds', 'generatorOptions', 'generators', 'helmCharts', 'helmChartInflationGenerator', 'helmGlobals', 'nameSuffix',
  'namePrefix', 'openapi', 'replacements', 'replicas', 'secretGenerator', 'sortOptions', 'transformers', 'validators', 'vars',
];
const SUPPORTED = ['apiVersion', 'kind', 'metadata', 'resources', 'namespace', 'labels', 'images', 'patches', 'patchesStrategicMerge', 'patchesJson6902'];

export function kustomizationPath(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((p) => existsSync(p));
}

/**
 * Reads and checks one kustomization file (`path`; `file` is how messages name it): a misspelt
 * or unsupported field fails with its name.
 */
export function readKustomization(path: string, file: string): Kustomization {
  const fail = (where: string, message: string): never => {
    throw new DeployCheckError([{ file, where, message }]);
  };
  const doc = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true });
  if (doc.errors[0]) fail('(document)', doc.errors[0].message.split('\n')[0]!);
  const raw: unknown = doc.toJS();
  if (!isRecord(raw)) return fail('(document)', 'is not a mapping');
  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED.includes(key)) fail(key, 'is a Kustomize field this renderer does not implement (scripts/deploy-check); write the overlay without it or extend the renderer');
    if (!SUPPORTED.includes(key)) fail(key, `unknown field (a Kustomization has ${SUPPORTED.join(', ')}, ...)`);
  }
  if (raw.kind !== undefined && raw.kind !== 'Kustomization') fail('kind', 'must be Kustomization');

  const list = (field: string): unknown[] => {
    const v = raw[field];
    if (v === undefined) return [];
    return Array.isArray(v) ? v : fail(field, 'must be a list');
  };
  const string = (v: unknown, where: string): string => (typeof v === 'string' && v ? v : fail(where, 'must be a non-empty string'));
  const mapping = (v: unknown, where: string, fields: readonly string[]): JsonObject => {
    if (!isRecord(v)) return fail(where, 'must be a mapping');
    const unknown = Object.keys(v).find((k) => !fields.includes(k));
    return unknown ? fail(`${where}.${unknown}`, `unknown field (expected ${fields.join(', ')})`) : v;
  };
  const target = (v: unknown, where: string): ResourceSelector | undefined => {
    if (v === undefined) return undefined;
    try {
      return parseSelector(v);
    } catch (err) {
      return fail(where, (err as Error).message);
    }
  };

  const patchEntry = (v: unknown, entry: string, json6902: boolean): PatchEntry => {
    const p = mapping(v, entry, ['path', 'patch', 'target', 'options']);
    if (p.options !== undefined) fail(`${entry}.options`, 'is not supported by this renderer');
    if ((p.path === undefined) === (p.patch === undefined)) fail(entry, 'needs exactly one of path and patch');
    if (json6902 && p.target === undefined) fail(`${entry}.target`, 'is required for a JSON 6902 patch');
    return {
      entry,
      ...(p.patch !== undefined ? { inline: string(p.patch, `${entry}.patch`) } : { path: string(p.path, `${entry}.path`) }),
      target: target(p.target, `${entry}.target`),
      json6902,
    };
  };

  return {
    file,
    dir: dirname(path),
    resources: list('resources').map((r, i) => string(r, `resources[${i}]`)),
    namespace: raw.namespace === undefined ? undefined : string(raw.namespace, 'namespace'),
    labels: list('labels').map((v, i) => {
      const l = mapping(v, `labels[${i}]`, ['pairs', 'includeSelectors', 'includeTemplates', 'fields']);
      if (l.includeSelectors === true) fail(`labels[${i}].includeSelectors`, 'is not supported by this renderer (selectors are immutable on live objects anyway)');
      if (l.fields !== undefined) fail(`labels[${i}].fields`, 'is not supported by this renderer');
      const pairs = mapping(l.pairs, `labels[${i}].pairs`, Object.keys(isRecord(l.pairs) ? l.pairs : {}));
      return {
        pairs: Object.fromEntries(Object.entries(pairs).map(([k, value]) => [k, string(value, `labels[${i}].pairs.${k}`)])),
        includeTemplates: l.includeTemplates === true,
      };
    }),
    images: list('images').map((v, i) => {
      const m = mapping(v, `images[${i}]`, ['name', 'newName', 'newTag', 'digest']);
      const image: ImageOverride = { name: string(m.name, `images[${i}].name`) };
      if (m.newName !== undefined) image.newName = string(m.newName, `images[${i}].newName`);
      // YAML reads `newTag: 1.10` as a number; Kustomize takes it as written.
      if (m.newTag !== undefined) image.newTag = string(typeof m.newTag === 'number' ? String(m.newTag) : m.newTag, `images[${i}].newTag`);
      if (m.digest !== undefined) image.digest = string(m.digest, `images[${i}].digest`);
      return image;
    }),
    strategicMergePatches: list('patchesStrategicMerge').map((v, i) => {
      const entry = `patchesStrategicMerge[${i}]`;
      const text = string(v, entry);
      // An entry is either a file name or the patch itself, inline.
      return text.includes('\n') ? { entry, inline: text } : { entry, path: text };
    }),
    patches: list('patches').map((v, i) => patchEntry(v, `patches[${i}]`, false)),
    json6902Patches: list('patchesJson6902').map((v, i) => patchEntry(v, `patchesJson6902[${i}]`, true)),
  };
}
