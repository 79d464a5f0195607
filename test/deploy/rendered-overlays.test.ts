import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { K8S_KUSTOMIZATIONS } from '../../scripts/deploy-check/deploy-files.ts';
import type { KubeObject } from '../../scripts/deploy-check/kube-object.ts';
import { renderKustomization, toYamlStream } from '../../scripts/deploy-check/kustomize.ts';
import { labelsMatch } from '../../scripts/deploy-check/resource-selector.ts';
import { repoRoot } from '../support/cli.ts';

/**
 * What the rendered overlays mean, beyond their schemas: the right image on the right nodes,
 * selectors that select the pods they are for (a schema cannot see a selector that matches
 * nothing), and `npm run k8s:render` printing what the tests render.
 */
const render = (name: string) => renderKustomization(join(repoRoot, K8S_KUSTOMIZATIONS[name]!), repoRoot).map((r) => r.object);

interface Container { name: string; image: string; env?: { name: string; value?: string; valueFrom?: unknown }[] }
interface PodTemplate { metadata?: { labels?: Record<string, string> }; spec: { containers: Container[]; nodeSelector?: Record<string, string> } }
interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }

const workloads = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const template = (o: KubeObject) => (o.spec as { template: PodTemplate }).template;
const podLabels = (o: KubeObject) => template(o).metadata?.labels ?? {};
const riverwatchDeployments = (objects: KubeObject[]) => workloads(objects).filter((o) => template(o).spec.containers.some((c) => c.image.startsWith('ghcr.io/riverwatch/')));

function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const exprs = (selector.matchExpressions ?? []).map((e) => {
    if (e.operator === 'In') return `${e.key} in (${e.values!.join(',')})`;
    if (e.operator === 'NotIn') return `${e.key} notin (${e.values!.join(',')})`;
    return e.operator === 'Exists' ? e.key : `!${e.key}`;
  });
  const equals = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  return labelsMatch([...equals, ...exprs].join(','), labels);
}

describe('rendered overlays', () => {
  it('gpu: only inference runs the CUDA image, on GPU nodes with the CUDA provider; the rest keep the CPU image (it has ffmpeg)', () => {
    const objects = render('gpu');
    const images = Object.fromEntries(riverwatchDeployments(objects).map((d) => [d.metadata.name, template(d).spec.containers[0]!.image]));
    expect(images).toEqual({
      inference: 'ghcr.io/riverwatch/riverwatch-gpu:latest',
      worker: 'ghcr.io/riverwatch/riverwatch:latest',
      ingest: 'ghcr.io/riverwatch/riverwatch:latest',
      api: 'ghcr.io/riverwatch/riverwatch:latest',
    });
    const inference = template(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'inference')!);
    expect(inference.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(inference.spec.containers[0]!.env).toContainEqual({ name: 'INFERENCE_PROVIDERS', value: 'cuda,cpu' });
  });

  const fromCpuRequest = { resourceFieldRef: { resource: 'requests.cpu', divisor: '1' } };
  const inferenceEnv = (objects: KubeObject[]) => {
    const env = template(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'inference')!).spec.containers[0]!.env!;
    return Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));
  };

  it('cpu: two inference replicas on the CPU provider, a single-threaded session per requested CPU', () => {
    const objects = render('cpu');
    const inference = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'inference')!;
    expect((inference.spec as { replicas: number }).replicas).toBe(2);
    expect(inferenceEnv(objects)).toMatchObject({ INFERENCE_PROVIDERS: 'cpu', INFERENCE_INTRA_OP_THREADS: '1', INFERENCE_INSTANCES: fromCpuRequest });
  });

  it('gpu: one session per model, with as many onnxruntime threads as the pod requests CPUs', () => {
    const env = inferenceEnv(render('gpu'));
    expect(env).toMatchObject({ INFERENCE_INTRA_OP_THREADS: fromCpuRequest });
    expect(env).not.toHaveProperty('INFERENCE_INSTANCES');
  });

  for (const name of ['cpu', 'gpu']) {
    it(`${name}: everything is in the riverwatch namespace, and every Service, PodDisruptionBudget and KEDA target finds its pods`, () => {
      const objects = render(name);
      for (const o of objects.filter((o) => o.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('riverwatch');
      const pods = workloads(objects).map(podLabels);
      for (const o of objects) {
        if (o.kind === 'Service') {
          const selector = (o.spec as { selector: Record<string, string> }).selector;
          expect(pods.some((labels) => selectorMatches({ matchLabels: selector }, labels)), `Service/${o.metadata.name}`).toBe(true);
        }
        if (o.kind === 'PodDisruptionBudget') {
          const selector = (o.spec as { selector: LabelSelector }).selector;
          expect(pods.filter((labels) => selectorMatches(selector, labels)), `PodDisruptionBudget/${o.metadata.name}`).toHaveLength(1);
        }
        if (o.kind === 'ScaledObject') {
          const target = (o.spec as { scaleTargetRef: { name: string; kind?: string } }).scaleTargetRef;
          expect(objects.some((d) => d.kind === (target.kind ?? 'Deployment') && d.metadata.name === target.name), `ScaledObject/${o.metadata.name}`).toBe(true);
        }
      }
    });
  }

  it("monitoring: the PodMonitor selects the pods of riverwatch's four services and nothing else", () => {
    const podMonitor = render('monitoring').find((o) => o.kind === 'PodMonitor')!;
    const selector = (podMonitor.spec as { selector: LabelSelector }).selector;
    const selected = workloads(render('cpu'))
      .filter((w) => selectorMatches(selector, podLabels(w)))
      .map((w) => w.metadata.name)
      .sort();
    expect(selected).toEqual(['api', 'inference', 'ingest', 'worker']);
  });

  it('npm run k8s:render -- cpu prints (or --out writes) what the tests render', () => {
    const script = join(repoRoot, 'scripts/deploy-check/render-k8s.ts');
    const run = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, encoding: 'utf8' });
    const expected = toYamlStream(renderKustomization(join(repoRoot, K8S_KUSTOMIZATIONS.cpu!), repoRoot));
    expect(run('cpu')).toBe(expected);
    const dir = mkdtempSync(join(tmpdir(), 'riverwatch-render-'));
    try {
      run('gpu', '--out', join(dir, 'gpu.yaml'));
      expect(readFileSync(join(dir, 'gpu.yaml'), 'utf8')).toContain('image: ghcr.io/riverwatch/riverwatch-gpu:latest');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', script, 'k8s/overlays/none'], { cwd: repoRoot, stdio: 'pipe' })).toThrow(/k8s\/overlays\/none: \(folder\): has no kustomization\.yaml/);
  });
});
