import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { applyImageOverride, parseImageRef } from './image-ref.ts';
import { applyJsonPatch, JsonPatchError, parseJsonPatch } from './json-patch.ts';
import { isRecord, type JsonObject } from './json-value.ts';
import { objectId, objectName, readManifest, type KubeObject, type RenderedResource } from './kube-object.ts';
import { kustomizationPath, readKustomization, type Kustomization, type LabelEntry, type PatchEntry } from './kustomization.ts';
import { DeployCheckError } from './problem.ts';
import { describeSelector, selects, type ResourceSelector } from './resource-selector.ts';
import { DELETED, strategicMerge, StrategicMergeError } from './strategic-merge.ts';

/**
 * `kubectl kustomize DIR` for the features riverwatch's k8s/ uses: resources (files and
 * kustomization folders), namespace, labels (with includeTemplates), images, and patches
 * (strategic merge and JSON 6902, inline or from files, by name or by target), run in
 * Kustomize's order (patches, namespace, labels, JSON 6902 patches, images) at each level,
 * bases first. Fields it does not implement are refused by name rather than ignored.
 *
 * It is stricter than Kustomize where Kustomize is silent about a likely mistake: a patch or an
 * `images:` entry that matches nothing fails instead of doing nothing.
 */
export function renderKustomization(dir: string, root = dir): RenderedResource[] {
  return sortLikeKustomize(build(resolve(dir), resolve(root), []));
}

/** The rendered objects as one multi-document YAML stream, keys sorted as kubectl kustomize writes them. */
export function toYamlStream(resources: readonly RenderedResource[]): string {
  return resources.map((r) => stringify(r.object, { sortMapEntries: true, lineWidth: 0, indentSeq: false })).join('---\n');
}

function build(dir: string, root: string, stack: string[]): RenderedResource[] {
  const display = (p: string) => relative(root, p).split(sep).join('/') || '.';
  const path = kustomizationPath(dir);
  if (!path) throw new DeployCheckError([{ file: display(dir), where: '(folder)', message: 'has no kustomization.yaml' }]);
  if (stack.includes(dir)) throw new DeployCheckError([{ file: display(path), where: 'resources', message: `cycle: ${[...stack, dir].map(display).join(' → ')}` }]);
  const k = readKustomization(path, display(path));
  const fail = (where: string, message: string, file = k.file): never => {
    throw new DeployCheckError([{ file, where, message }]);
  };
  // Kustomize's default load restriction: files from inside the kustomization's folder only.
  const ownFile = (name: string, where: string): string => {
    const full = resolve(dir, name);
    if (!existsSync(full)) fail(where, `${name} does not exist`);
    if (!full.startsWith(dir + sep)) fail(where, `${name} is outside ${display(dir)}; only folders with their own kustomization may be`);
    return full;
  };

  let resources: RenderedResource[] = [];
  k.resources.forEach((name, i) => {
    const full = resolve(dir, name);
    if (/^[a-z]+:\/\//.test(name) || name.startsWith('git@')) fail(`resources[${i}]`, `${name}: remote resources are not supported here`);
    if (!existsSync(full)) fail(`resources[${i}]`, `${name} does not exist`);
    if (statSync(full).isDirectory()) resources.push(...build(full, root, [...stack, dir]));
    else resources.push(...readManifest(ownFile(name, `resources[${i}]`), display(full)).map((object) => ({ object, file: display(full), patchedBy: [] })));
  });
  const seen = new Map<string, RenderedResource>();
  for (const r of resources) {
    const previous = seen.get(objectId(r.object));
    if (previous) fail('resources', `${objectName(r.object)} is defined twice (${previous.file} and ${r.file})`);
    seen.set(objectId(r.object), r);
  }

  const patchText = (p: PatchEntry) => p.inline ?? readFileSync(ownFile(p.path!, `${p.entry}.path`), 'utf8');
  const patchFile = (p: PatchEntry) => (p.path ? display(resolve(dir, p.path)) : k.file);
  for (const p of k.strategicMergePatches) resources = applyPatch(resources, p, patchText(p), patchFile(p), k);
  for (const p of k.patches) resources = applyPatch(resources, p, patchText(p), patchFile(p), k);
  if (k.namespace) setNamespace(resources, k.namespace, k.file);
  for (const l of k.labels) for (const r of resources) addLabels(r.object, l);
  for (const p of k.json6902Patches) resources = applyPatch(resources, p, patchText(p), patchFile(p), k);
  k.images.forEach((image, i) => {
    const changed = resources.reduce((n, r) => n + applyImageOverride(r.object, image), 0);
    if (!changed) {
      const present = [...new Set(resources.flatMap((r) => containerImages(r.object)).map((ref) => parseImageRef(ref).name))];
      fail(`images[${i}].name`, `no container image is named "${image.name}" at this point (bases have applied their own images: entries); images here: ${present.join(', ') || 'none'}`);
    }
  });
  return resources;
}

function containerImages(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(containerImages);
  if (!isRecord(node)) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    (key === 'containers' || key === 'initContainers') && Array.isArray(value)
      ? value.flatMap((c) => (isRecord(c) && typeof c.image === 'string' ? [c.image] : []))
      : containerImages(value),
  );
}

/** One patch entry over the objects it targets: by `target:`, else by the patch's own kind and name. */
function applyPatch(resources: RenderedResource[], p: PatchEntry, text: string, file: string, k: Kustomization): RenderedResource[] {
  const fail = (message: string, where = p.entry): never => {
    throw new DeployCheckError([{ file: k.file, where, message: file === k.file ? message : `${file}: ${message}` }]);
  };
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const parsed: unknown[] = (Array.isArray(docs) ? docs : [docs]).map((d) => {
    if (d.errors[0]) fail(`cannot parse the patch: ${d.errors[0].message.split('\n')[0]}`);
    return d.toJS() as unknown;
  });
  const isJson6902 = p.json6902 || (parsed.length === 1 && Array.isArray(parsed[0]));
  if (isJson6902) {
    let ops;
    try {
      ops = parseJsonPatch(parsed[0]);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (!p.target) return fail('a JSON 6902 patch needs a target: (kind and name of the object it changes)');
    const targets = matchTargets(resources, p.target, p, fail);
    return resources.map((r) => {
      if (!targets.includes(r)) return r;
      try {
        return { ...r, object: applyJsonPatch(r.object, ops) as KubeObject, patchedBy: [...r.patchedBy, k.file] };
      } catch (err) {
        if (err instanceof JsonPatchError) return fail(`${objectName(r.object)}: ${err.message}`);
        throw err;
      }
    });
  }
  // Strategic merge: one or more documents, each naming its object unless a target is given.
  for (const doc of parsed.filter((d) => d !== null)) {
    if (!isRecord(doc)) return fail('a strategic merge patch must be a mapping (or a list of JSON 6902 operations)');
    const selector = p.target ?? selectorOf(doc, fail);
    const targets = matchTargets(resources, selector, p, fail);
    resources = resources.flatMap((r) => {
      if (!targets.includes(r)) return [r];
      try {
        const merged = strategicMerge(r.object, doc);
        return merged === DELETED ? [] : [{ ...r, object: merged as KubeObject, patchedBy: [...r.patchedBy, k.file] }];
      } catch (err) {
        if (err instanceof StrategicMergeError) return fail(`${objectName(r.object)}: ${err.message}`);
        throw err;
      }
    });
  }
  return resources;
}

function selectorOf(doc: JsonObject, fail: (message: string) => never): ResourceSelector {
  const metadata = doc.metadata;
  if (typeof doc.kind !== 'string' || !isRecord(metadata) || typeof metadata.name !== 'string') {
    return fail('a strategic merge patch without target: must name its object (kind and metadata.name)');
  }
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    kind: escape(doc.kind),
    name: escape(metadata.name),
    ...(typeof doc.apiVersion === 'string' && doc.apiVersion.includes('/') ? { group: doc.apiVersion.split('/')[0] } : {}),
    ...(typeof metadata.namespace === 'string' ? { namespace: escape(metadata.namespace) } : {}),
  };
}

function matchTargets(resources: RenderedResource[], selector: ResourceSelector, p: PatchEntry, fail: (m: string, where?: string) => never): RenderedResource[] {
  let targets: RenderedResource[];
  try {
    targets = resources.filter((r) => selects(selector, r.object));
  } catch (err) {
    return fail((err as Error).message, `${p.entry}.target`);
  }
  if (!targets.length) {
    const where = p.target ? `${p.entry}.target` : p.entry;
    fail(`no object matches ${describeSelector(selector).replace(/\\/g, '')}; objects here: ${resources.map((r) => objectName(r.object)).join(', ')}`, where);
  }
  return targets;
}

/** Kinds that live outside namespaces (Kustomize's list, for the kinds a riverwatch install might hold). */
const CLUSTER_SCOPED = new Set([
  'APIService', 'CSIDriver', 'CSINode', 'CertificateSigningRequest', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'IngressClass', 'MutatingWebhookConfiguration', 'Namespace', 'Node', 'PersistentVolume', 'PriorityClass', 'RuntimeClass',
  'StorageClass', 'ValidatingWebhookConfiguration', 'VolumeAttachment',
]);

function setNamespace(resources: RenderedResource[], namespace: string, file: string): void {
  for (const { object } of resources) {
    if (object.kind === 'Namespace') object.metadata.name = namespace;
    else if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = namespace;
    // Kustomize also rewrites ServiceAccount subjects of role bindings; not implemented, so not allowed silently.
    if ((object.kind === 'RoleBinding' || object.kind === 'ClusterRoleBinding') && Array.isArray(object.subjects)) {
      throw new DeployCheckError([{ file, where: 'namespace', message: `${objectName(object)}: role binding subjects are not re-namespaced by this renderer` }]);
    }
  }
}

/** Where `includeTemplates` puts labels besides metadata.labels (Kustomize's template label field specs). */
const TEMPLATE_LABEL_PATHS: Record<string, string[][]> = {
  Deployment: [['spec', 'template', 'metadata', 'labels']],
  ReplicaSet: [['spec', 'template', 'metadata', 'labels']],
  DaemonSet: [['spec', 'template', 'metadata', 'labels']],
  ReplicationController: [['spec', 'template', 'metadata', 'labels']],
  StatefulSet: [['spec', 'template', 'metadata', 'labels'], ['spec', 'volumeClaimTemplates', '[]', 'metadata', 'labels']],
  Job: [['spec', 'template', 'metadata', 'labels']],
  CronJob: [['spec', 'jobTemplate', 'metadata', 'labels'], ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels']],
};

function addLabels(object: KubeObject, entry: LabelEntry): void {
  const paths = [['metadata', 'labels'], ...(entry.includeTemplates ? (TEMPLATE_LABEL_PATHS[object.kind] ?? []) : [])];
  for (const path of paths) for (const labels of labelMaps(object, path)) Object.assign(labels, entry.pairs);
}

/** The label maps at a field path, created where the path's parent exists (`[]` walks a list). */
function labelMaps(node: unknown, path: readonly string[]): JsonObject[] {
  if (!isRecord(node) && !Array.isArray(node)) return [];
  const [head, ...rest] = path;
  if (head === '[]') return Array.isArray(node) ? node.flatMap((e) => labelMaps(e, rest)) : [];
  if (!isRecord(node) || head === undefined) return [];
  if (!rest.length) {
    if (!isRecord(node[head])) node[head] = {};
    return [node[head] as JsonObject];
  }
  // Only the first step (metadata) is created; Kustomize does not invent a template a workload lacks.
  if (node[head] === undefined && head === 'metadata') node[head] = {};
  return labelMaps(node[head], rest);
}

/** Kustomize's legacy output order: Namespaces first, then config, Services, workloads; then by group/version/kind, namespace, name. */
const ORDER_FIRST = [
  'Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy', 'Role', 'ClusterRole',
  'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Service', 'LimitRange', 'PriorityClass', 'PersistentVolume',
  'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function sortLikeKustomize(resources: RenderedResource[]): RenderedResource[] {
  const rank = (kind: string) => {
    const first = ORDER_FIRST.indexOf(kind);
    if (first >= 0) return first - ORDER_FIRST.length;
    const last = ORDER_LAST.indexOf(kind);
    return last >= 0 ? 1 + last : 0;
  };
  const gvk = (o: KubeObject) => {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    return `${group || '~G'}_${version || '~V'}_${o.kind}`;
  };
  const key = (o: KubeObject) => `${gvk(o)}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
  return [...resources].sort((a, b) => rank(a.object.kind) - rank(b.object.kind) || (key(a.object) < key(b.object) ? -1 : key(a.object) > key(b.object) ? 1 : 0));
}
