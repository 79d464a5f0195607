import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyJsonPatch, parseJsonPatch } from '../../scripts/deploy-check/json-patch.ts';
import type { KubeObject } from '../../scripts/deploy-check/kube-object.ts';
import { renderKustomization, toYamlStream } from '../../scripts/deploy-check/kustomize.ts';
import { writeTree } from './fixtures.ts';

/**
 * The renderer on small kustomizations, one feature at a time, and the mistakes it must refuse
 * with the kustomization file and the entry named. (k8s-schema.test.ts renders the real k8s/.)
 */
const deployment = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: ${name}
          image: riverwatch
          env: [{ name: A, value: "1" }, { name: B, value: "2" }]
          ports: [{ containerPort: 80, name: http }]
${extra}`;

const base = {
  'base/kustomization.yaml': `resources: [app.yaml, more.yaml]
namespace: rivers
labels:
  - pairs: { app.kubernetes.io/part-of: riverwatch }
images:
  - { name: riverwatch, newName: ghcr.io/riverwatch/riverwatch, newTag: "1.2" }
`,
  'base/app.yaml': deployment('api', '      terminationGracePeriodSeconds: 30\n      tolerations: [{ key: spot, operator: Exists }]\n'),
  'base/more.yaml': `apiVersion: v1
kind: Service
metadata: { name: api }
spec: { selector: { app: api }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Namespace
metadata: { name: elsewhere }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { LOG_LEVEL: info }
`,
};

function render(files: Record<string, string>, dir: string) {
  const root = writeTree(files);
  return renderKustomization(join(root, dir), root);
}

function find(objects: { object: KubeObject }[], kind: string, name: string): KubeObject {
  const found = objects.find((r) => r.object.kind === kind && r.object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found.object;
}

type Container = { name: string; image: string; env?: { name: string; value?: string }[]; ports?: unknown[] };
const containers = (o: KubeObject) => (o.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;

describe('kustomize renderer', () => {
  it('renders resources with namespace, labels on the objects only, and images, in kubectl kustomize order', () => {
    const out = render(base, 'base');
    expect(out.map((r) => `${r.object.kind}/${r.object.metadata.name}`)).toEqual(['Namespace/rivers', 'ConfigMap/settings', 'Service/api', 'Deployment/api']);
    const api = find(out, 'Deployment', 'api');
    expect(api.metadata).toMatchObject({ namespace: 'rivers', labels: { 'app.kubernetes.io/part-of': 'riverwatch' } });
    // Without includeTemplates the pods do not get the label, nor the selector.
    expect((api.spec as { template: { metadata: { labels: object } } }).template.metadata.labels).toEqual({ app: 'api' });
    expect(containers(api)[0]!.image).toBe('ghcr.io/riverwatch/riverwatch:1.2');
    expect(out.find((r) => r.object.kind === 'Deployment')!.file).toBe('base/app.yaml');
    // Keys sorted, as kubectl kustomize writes them.
    expect(toYamlStream(out)).toMatch(/^apiVersion: v1\nkind: Namespace\nmetadata:\n {2}labels:/);
  });

  it('includeTemplates labels pod templates too, never selectors', () => {
    const out = render({ ...base, 'base/kustomization.yaml': base['base/kustomization.yaml'].replace('riverwatch }', 'riverwatch }\n    includeTemplates: true') }, 'base');
    const spec = find(out, 'Deployment', 'api').spec as { selector: { matchLabels: object }; template: { metadata: { labels: object } } };
    expect(spec.template.metadata.labels).toEqual({ app: 'api', 'app.kubernetes.io/part-of': 'riverwatch' });
    expect(spec.selector.matchLabels).toEqual({ app: 'api' });
  });

  it('applies JSON 6902 and strategic merge patches from an overlay, inline or from files', () => {
    const out = render(
      {
        ...base,
        'overlay/kustomization.yaml': `resources: [../base]
patches:
  - target: { kind: Deployment, name: api }
    patch: |
      - { op: replace, path: /spec/template/spec/containers/0/env/0/value, value: "10" }
      - { op: add, path: /spec/template/spec/containers/0/env/-, value: { name: C, value: "3" } }
      - { op: add, path: /spec/replicas, value: 3 }
  - path: api-patch.yaml
  - target: { kind: ConfigMap, labelSelector: "app.kubernetes.io/part-of=riverwatch" }
    patch: |
      $patch: delete
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: any }
`,
        'overlay/api-patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  template:
    spec:
      containers:
        - name: api
          env: [{ name: B, value: "20" }, { name: D, value: "4" }]
          ports: [{ containerPort: 80, protocol: TCP }]
        - name: sidecar
          image: busybox:1.36
      tolerations: [{ key: gpu, operator: Exists }]
      terminationGracePeriodSeconds: null
`,
      },
      'overlay',
    );
    const api = find(out, 'Deployment', 'api');
    expect((api.spec as { replicas: number }).replicas).toBe(3);
    const [main, sidecar] = containers(api);
    // Lists of built-in objects merge on their key: env by name, ports by containerPort, containers by name.
    expect(main!.env).toEqual([
      { name: 'A', value: '10' },
      { name: 'B', value: '20' },
      { name: 'C', value: '3' },
      { name: 'D', value: '4' },
    ]);
    expect(main!.ports).toEqual([{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
    expect(sidecar).toEqual({ name: 'sidecar', image: 'busybox:1.36' });
    // null deletes; a list without a merge key (tolerations) is replaced whole.
    const podSpec = (api.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(podSpec.terminationGracePeriodSeconds).toBeUndefined();
    expect(podSpec.tolerations).toEqual([{ key: 'gpu', operator: 'Exists' }]);
    expect(out.some((r) => r.object.kind === 'ConfigMap')).toBe(false);
    expect(out.find((r) => r.object.kind === 'Deployment')!.patchedBy).toEqual(['overlay/kustomization.yaml', 'overlay/kustomization.yaml']);
  });

  it("an overlay's images: entry must name the image as the base left it", () => {
    const overlay = (name: string) => ({ ...base, 'overlay/kustomization.yaml': `resources: [../base]\nimages: [{ name: ${name}, newName: ghcr.io/riverwatch/riverwatch-gpu }]\n` });
    expect(() => render(overlay('riverwatch'), 'overlay')).toThrow(
      'overlay/kustomization.yaml: images[0].name: no container image is named "riverwatch" at this point (bases have applied their own images: entries); images here: ghcr.io/riverwatch/riverwatch',
    );
    expect(containers(find(render(overlay('ghcr.io/riverwatch/riverwatch'), 'overlay'), 'Deployment', 'api'))[0]!.image).toBe('ghcr.io/riverwatch/riverwatch-gpu:1.2');
  });

  it('a patch naming an object that is not there fails with the kustomization, the entry and what is there', () => {
    const overlay = (patches: string) => ({ ...base, 'overlay/kustomization.yaml': `resources: [../base]\n${patches}` });
    expect(() => render(overlay('patches:\n  - target: { kind: Deployment, name: apii }\n    patch: "[{ op: remove, path: /spec/replicas }]"\n'), 'overlay')).toThrow(
      /^overlay\/kustomization\.yaml: patches\[0\]\.target: no object matches kind=Deployment, name=apii; objects here: .*Deployment\/api/,
    );
    expect(() => render(overlay('patchesStrategicMerge:\n  - |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: { name: worker }\n    spec: { replicas: 2 }\n'), 'overlay')).toThrow(
      /^overlay\/kustomization\.yaml: patchesStrategicMerge\[0\]: no object matches group=apps, kind=Deployment, name=worker;/,
    );
  });

  it('a JSON 6902 operation on a field that is not there fails with the operation and the path', () => {
    const files = { ...base, 'overlay/kustomization.yaml': `resources: [../base]\npatchesJson6902:\n  - target: { kind: Deployment, name: api }\n    path: ops.yaml\n`, 'overlay/ops.yaml': '- op: replace\n  path: /spec/template/spec/containerz/0/image\n  value: x\n' };
    expect(() => render(files, 'overlay')).toThrow(
      'overlay/kustomization.yaml: patchesJson6902[0]: overlay/ops.yaml: Deployment/api: operation 0 (replace /spec/template/spec/containerz/0/image): /spec/template/spec/containerz does not exist',
    );
  });

  it('refuses misspelt and unimplemented kustomization fields, missing or outside files, duplicates and duplicate YAML keys', () => {
    const overlay = (text: string, extra: Record<string, string> = {}) => () => render({ ...base, ...extra, 'overlay/kustomization.yaml': text }, 'overlay');
    expect(overlay('resource: [../base]\n')).toThrow('overlay/kustomization.yaml: resource: unknown field');
    expect(overlay('resources: [../base]\nnamePrefix: staging-\n')).toThrow('overlay/kustomization.yaml: namePrefix: is a Kustomize field this renderer does not implement');
    expect(overlay('resources: [../base]\npatches: [{ path: p.yaml, targt: { kind: Service } }]\n')).toThrow('overlay/kustomization.yaml: patches[0].targt: unknown field');
    expect(overlay('resources: [../base, extra.yaml]\n')).toThrow('overlay/kustomization.yaml: resources[1]: extra.yaml does not exist');
    expect(overlay('resources: [../base/app.yaml]\n')).toThrow('overlay/kustomization.yaml: resources[0]: ../base/app.yaml is outside overlay');
    expect(overlay('resources: [../base, copy.yaml]\n', { 'overlay/copy.yaml': deployment('api').replace('{ name: api }', '{ name: api, namespace: rivers }') })).toThrow('overlay/kustomization.yaml: resources: Deployment/api is defined twice (base/app.yaml and overlay/copy.yaml)');
    expect(overlay('resources: [../base, dup.yaml]\n', { 'overlay/dup.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\nmetadata: { name: y }\n' })).toThrow(/^overlay\/dup\.yaml:4: document 1: Map keys must be unique/);
  });
});

describe('JSON 6902 operations', () => {
  const doc = { a: { b: [1, 2, 3] }, c: 'x' };
  it('move, copy and test', () => {
    expect(applyJsonPatch(doc, parseJsonPatch([{ op: 'move', from: '/c', path: '/a/d' }, { op: 'copy', from: '/a/b/0', path: '/a/b/-' }, { op: 'test', path: '/a/d', value: 'x' }, { op: 'remove', path: '/a/b/1' }]))).toEqual({
      a: { b: [1, 3, 1], d: 'x' },
    });
    expect(doc).toEqual({ a: { b: [1, 2, 3] }, c: 'x' });
  });
  it('refuses malformed operations and failed tests', () => {
    expect(() => parseJsonPatch([{ op: 'replce', path: '/a' }])).toThrow('operation 0: op must be one of');
    expect(() => parseJsonPatch([{ op: 'add', pth: '/a', value: 1 }])).toThrow('operation 0: unknown field "pth"');
    expect(() => applyJsonPatch(doc, parseJsonPatch([{ op: 'test', path: '/c', value: 'y' }]))).toThrow('test failed: the value is "x"');
    expect(() => applyJsonPatch(doc, parseJsonPatch([{ op: 'replace', path: '/a/b/7', value: 0 }]))).toThrow('/a/b has no element "7" (it has 3)');
  });
});
