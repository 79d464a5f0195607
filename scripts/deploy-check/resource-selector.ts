import { isRecord } from './json-value.ts';
import type { KubeObject } from './kube-object.ts';

/** A patch's `target:` — which rendered objects it applies to. */
export interface ResourceSelector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

const FIELDS = ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'] as const;

export function parseSelector(value: unknown): ResourceSelector {
  if (!isRecord(value)) throw new Error('must be a mapping');
  const selector: ResourceSelector = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new Error(`unknown field "${key}" (expected one of ${FIELDS.join(', ')})`);
    if (typeof v !== 'string') throw new Error(`${key} must be a string`);
    selector[key as (typeof FIELDS)[number]] = v;
  }
  return selector;
}

export function describeSelector(s: ResourceSelector): string {
  return FIELDS.filter((f) => s[f] !== undefined)
    .map((f) => `${f}=${s[f]}`)
    .join(', ');
}

/** Kustomize matches kind, name and namespace as anchored regular expressions. */
function matches(pattern: string | undefined, value: string): boolean {
  return pattern === undefined || new RegExp(`^(?:${pattern})$`).test(value);
}

export function selects(selector: ResourceSelector, object: KubeObject): boolean {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  return (
    (selector.group === undefined || selector.group === group) &&
    (selector.version === undefined || selector.version === version) &&
    matches(selector.kind, object.kind) &&
    matches(selector.name, object.metadata.name) &&
    matches(selector.namespace, object.metadata.namespace ?? '') &&
    labelsMatch(selector.labelSelector, object.metadata.labels ?? {}) &&
    labelsMatch(selector.annotationSelector, object.metadata.annotations ?? {})
  );
}

/** Label selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated. */
export function labelsMatch(selector: string | undefined, labels: Record<string, string>): boolean {
  if (!selector?.trim()) return true;
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const term = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? labels[key] !== value : labels[key] === value;
    }
    if ((m = term.match(/^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      const present = labels[key] !== undefined && values.includes(labels[key]);
      return op === 'in' ? present : !present;
    }
    if ((m = term.match(/^(!?)([\w./-]+)$/))) return m[1] === '!' ? labels[m[2]!] === undefined : labels[m[2]!] !== undefined;
    throw new Error(`cannot read the label selector term "${term}"`);
  });
}
