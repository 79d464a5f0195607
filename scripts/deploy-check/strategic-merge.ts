import { isRecord, type JsonObject } from './json-value.ts';

/**
 * Strategic merge patches as `kubectl kustomize` applies them: maps merge key by key, `null`
 * deletes a key, lists of built-in objects merge element by element on the Kubernetes API's
 * patch merge key (containers by name, volumeMounts by mountPath, ...), every other list is
 * replaced whole (custom resources have no merge keys, so theirs always are).
 * `$patch: delete | replace` is understood; the rarer directives are refused rather than ignored.
 */
export class StrategicMergeError extends Error {}

/** What a patch that says `$patch: delete` on the whole object leaves behind. */
export const DELETED = Symbol('deleted');

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  resourceClaims: 'name',
  topologySpreadConstraints: 'topologyKey',
};
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Built-in API groups (`v1`, `apps/v1`, `*.k8s.io`) carry merge keys; custom resources do not. */
export function isBuiltinApiVersion(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  return !group.includes('.') || group.endsWith('.k8s.io');
}

function mergeKey(kind: string, path: readonly (string | number)[], field: string): string | undefined {
  if (field === 'ports') {
    if (CONTAINER_LISTS.has(String(path[path.length - 2]))) return 'containerPort';
    return kind === 'Service' && path.length === 1 && path[0] === 'spec' ? 'port' : undefined;
  }
  return MERGE_KEYS[field];
}

export function strategicMerge(target: JsonObject, patch: JsonObject): JsonObject | typeof DELETED {
  const builtin = typeof target.apiVersion === 'string' && isBuiltinApiVersion(target.apiVersion);
  const kind = typeof target.kind === 'string' ? target.kind : '';
  if (patch.$patch === 'delete') return DELETED;
  return mergeMap(structuredClone(target), patch, { builtin, kind, path: [] });
}

interface MergeContext {
  builtin: boolean;
  kind: string;
  path: (string | number)[];
}

function at(ctx: MergeContext, key: string | number): MergeContext {
  return { ...ctx, path: [...ctx.path, key] };
}

function directive(map: JsonObject, ctx: MergeContext): 'replace' | 'delete' | undefined {
  for (const key of Object.keys(map)) {
    if (key.startsWith('$') && key !== '$patch') throw new StrategicMergeError(`${where(ctx)}: the ${key} directive is not supported here`);
  }
  const value = map.$patch;
  if (value === undefined || value === 'merge') return undefined;
  if (value === 'replace' || value === 'delete') return value;
  throw new StrategicMergeError(`${where(ctx)}: $patch must be merge, replace or delete; got ${JSON.stringify(value)}`);
}

function where(ctx: MergeContext): string {
  return ctx.path.length ? ctx.path.join('.') : 'the patch';
}

function withoutDirective(map: JsonObject): JsonObject {
  const { $patch: _ignored, ...rest } = map;
  return rest;
}

function mergeMap(target: JsonObject, patch: JsonObject, ctx: MergeContext): JsonObject {
  const mode = directive(patch, ctx);
  if (mode === 'replace') return withoutDirective(patch);
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch') continue;
    const current = target[key];
    if (value === null || (isRecord(value) && value.$patch === 'delete')) delete target[key];
    else if (isRecord(value) && isRecord(current)) target[key] = mergeMap(current, value, at(ctx, key));
    else if (Array.isArray(value) && Array.isArray(current)) target[key] = mergeList(current, value, key, at(ctx, key));
    else target[key] = isRecord(value) ? withoutDirective(value) : value;
  }
  return target;
}

function mergeList(target: unknown[], patch: unknown[], field: string, ctx: MergeContext): unknown[] {
  const key = ctx.builtin ? mergeKey(ctx.kind, ctx.path.slice(0, -1), field) : undefined;
  if (patch.some((e) => isRecord(e) && e.$patch === 'replace')) return patch.filter((e) => !(isRecord(e) && e.$patch === 'replace'));
  if (!key) return patch;
  const result = [...target];
  patch.forEach((element, i) => {
    if (!isRecord(element) || element[key] === undefined) throw new StrategicMergeError(`${where(at(ctx, i))}: list elements are merged by "${key}", which this element lacks`);
    const index = result.findIndex((e) => isRecord(e) && e[key] === element[key]);
    const mode = directive(element, at(ctx, i));
    if (mode === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = mergeMap(result[index] as JsonObject, element, at(ctx, i));
    } else {
      result.push(withoutDirective(element));
    }
  });
  return result;
}
