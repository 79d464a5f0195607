import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { K8S_KUSTOMIZATIONS } from '../../scripts/deploy-check/deploy-files.ts';
import { checkKustomization } from '../../scripts/deploy-check/manifest-check.ts';
import { formatProblem } from '../../scripts/deploy-check/problem.ts';
import { repoRoot } from '../support/cli.ts';
import { brokenCopy, type Breakage } from './fixtures.ts';

/**
 * Every kustomization under k8s/ rendered and each object checked against its schema (core
 * Kubernetes, KEDA, Prometheus Operator) with unknown fields refused, as
 * `kubectl apply --validate=strict` would; then copies with one mistake each, which must fail
 * with the file and the field named.
 */
function problems(root: string, kustomization: string): string[] {
  return checkKustomization(join(root, kustomization), root).problems.map(formatProblem);
}

describe('k8s/ against the Kubernetes, KEDA and Prometheus Operator schemas', () => {
  for (const [name, dir] of Object.entries(K8S_KUSTOMIZATIONS)) {
    it(`${name} (${dir}) renders, and every object passes its schema strictly`, () => {
      const { resources, problems } = checkKustomization(join(repoRoot, dir), repoRoot);
      expect(problems.map(formatProblem)).toEqual([]);
      expect(resources.length).toBeGreaterThan(1);
    });
  }

  const broken: [string, string, Breakage, string][] = [
    [
      'a misspelt probe',
      'cpu',
      { file: 'k8s/base/api.yaml', from: 'readinessProbe:', to: 'readinessprobe:' },
      'k8s/base/api.yaml:18: Deployment/api spec.template.spec.containers[0].readinessprobe: unknown field "readinessprobe"',
    ],
    [
      'resource: for resources:',
      'gpu',
      { file: 'k8s/base/worker.yaml', from: '          resources: {', to: '          resource: {' },
      'k8s/base/worker.yaml:22: Deployment/worker spec.template.spec.containers[0].resource: unknown field "resource"',
    ],
    ['a number as a word', 'cpu', { file: 'k8s/base/ingest.yaml', from: 'replicas: 2', to: 'replicas: two' }, 'k8s/base/ingest.yaml:7: Deployment/ingest spec.replicas: must be integer'],
    [
      'a misspelt KEDA trigger key',
      'cpu',
      { file: 'k8s/base/worker.yaml', from: 'listName:', to: 'listname:' },
      'k8s/base/worker.yaml:38: ScaledObject/worker spec.triggers[0].metadata.listname: unknown redis trigger key "listname"',
    ],
    [
      'a misspelt Prometheus trigger key in an overlay',
      'gpu',
      { file: 'k8s/overlays/gpu/inference-scaling.yaml', from: 'serverAddress:', to: 'serverAdress:' },
      'k8s/overlays/gpu/inference-scaling.yaml:16: ScaledObject/inference spec.triggers[0].metadata.serverAdress: unknown prometheus trigger key "serverAdress"',
    ],
    [
      'a misspelt ScaledObject field',
      'cpu',
      { file: 'k8s/base/worker.yaml', from: 'maxReplicaCount:', to: 'maxReplicas:' },
      'k8s/base/worker.yaml:31: ScaledObject/worker spec.maxReplicas: unknown field "maxReplicas"',
    ],
    [
      'a misspelt PodMonitor field',
      'monitoring',
      { file: 'k8s/monitoring/podmonitor.yaml', from: 'podMetricsEndpoints:', to: 'podMetricEndpoints:' },
      'k8s/monitoring/podmonitor.yaml:12: PodMonitor/riverwatch spec.podMetricEndpoints: unknown field "podMetricEndpoints"',
    ],
    [
      'expression: for expr: in an alert rule',
      'monitoring',
      { file: 'k8s/monitoring/rules.yaml', from: 'expr: riverwatch_ingest_camera_online == 0', to: 'expression: riverwatch_ingest_camera_online == 0' },
      'k8s/monitoring/rules.yaml:62: PrometheusRule/riverwatch spec.groups[0].rules[6].expression: unknown field "expression"',
    ],
    [
      'a duration Prometheus cannot read',
      'monitoring',
      { file: 'k8s/monitoring/rules.yaml', from: 'for: 30m', to: 'for: 30 minutes' },
      'k8s/monitoring/rules.yaml:63: PrometheusRule/riverwatch spec.groups[0].rules[6].for: must match pattern',
    ],
    [
      'a misspelt field added by an overlay patch',
      'cpu',
      { file: 'k8s/overlays/cpu/kustomization.yaml', from: '{ name: INFERENCE_PROVIDERS, value: cpu }', to: '{ name: INFERENCE_PROVIDERS, valeu: cpu }' },
      'k8s/base/inference.yaml: Deployment/inference spec.template.spec.containers[0].env[2].valeu: unknown field "valeu" (after patches in k8s/overlays/cpu/kustomization.yaml)',
    ],
    [
      'an API version no schema knows',
      'cpu',
      { file: 'k8s/base/worker.yaml', from: 'keda.sh/v1alpha1', to: 'keda.sh/v1' },
      'k8s/base/worker.yaml:25: ScaledObject/worker apiVersion: no schema for keda.sh/v1 ScaledObject',
    ],
    [
      'an overlay patch naming a Deployment that is not there',
      'gpu',
      { file: 'k8s/overlays/gpu/kustomization.yaml', from: 'name: inference }', to: 'name: inferense }' },
      'k8s/overlays/gpu/kustomization.yaml: patches[0].target: no object matches kind=Deployment, name=inferense',
    ],
    [
      'an overlay patch replacing a field the base does not have',
      'gpu',
      { file: 'k8s/overlays/gpu/kustomization.yaml', from: 'path: /spec/template/spec/containers/0/resources', to: 'path: /spec/template/spec/containers/0/resourcez' },
      'k8s/overlays/gpu/kustomization.yaml: patches[0]: Deployment/inference: operation 2 (replace /spec/template/spec/containers/0/resourcez): /spec/template/spec/containers/0/resourcez does not exist',
    ],
    [
      'a base env list whose second entry is no longer the one the cpu overlay replaces',
      'cpu',
      { file: 'k8s/base/inference.yaml', from: '{ name: INFERENCE_INTRA_OP_THREADS, valueFrom', to: '{ name: INFERENCE_THREADS, valueFrom' },
      'k8s/overlays/cpu/kustomization.yaml: patches[0]: Deployment/inference: operation 2 (test /spec/template/spec/containers/0/env/1/name): test failed: the value is "INFERENCE_THREADS"',
    ],
    [
      'a base resource file that is gone',
      'cpu',
      { file: 'k8s/base/kustomization.yaml', from: '  - api.yaml', to: '  - apis.yaml' },
      'k8s/base/kustomization.yaml: resources[7]: apis.yaml does not exist',
    ],
  ];
  for (const [mistake, overlay, breakage, expected] of broken) {
    it(`a copy with ${mistake} fails: ${breakage.file}`, () => {
      const root = brokenCopy(['k8s'], breakage);
      const found = problems(root, K8S_KUSTOMIZATIONS[overlay]!);
      expect(found.length, found.join('\n')).toBeGreaterThan(0);
      expect(found.some((p) => p.startsWith(expected)), `expected a problem starting\n  ${expected}\ngot\n  ${found.join('\n  ')}`).toBe(true);
    });
  }
});
