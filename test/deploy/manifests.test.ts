import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { collectProcessMetrics, loadConfig, metricsRegistry, RedisKeys, QueueName } from '@riverwatch/common';
import { parseServices } from '../../packages/cli/src/stack.ts';
import { repoRoot } from '../support/cli.ts';

/**
 * docker-compose.yml, k8s/ and the Dockerfiles cannot be run here (no Docker
 * engine, no cluster), so this keeps them from drifting away from the code:
 * the variables they set exist, the ports are the services' ports, the
 * autoscaler watches the queue the worker reads, and every file they name exists.
 */
type Env = Record<string, string>;
interface Container { env?: { name: string; value?: string }[]; ports?: { containerPort: number }[]; readinessProbe?: Probe; livenessProbe?: Probe }
interface Probe { httpGet?: { port: number }; grpc?: { port: number } }
interface K8sDoc { kind: string; metadata: { name: string }; data?: Env; stringData?: Env; spec?: Record<string, unknown> }

const docs = readFileSync(join(repoRoot, 'docs/configuration.md'), 'utf8');
const documented = (name: string) => docs.includes(`\`${name}\``);
// Set in images for Node itself, not riverwatch settings.
const PLATFORM_VARS = new Set(['NODE_ENV']);

const defaults = loadConfig({});
const servicePorts = {
  inference: { grpc: defaults.inference.grpcPort, metrics: defaults.inference.metricsPort },
  worker: { metrics: defaults.worker.metricsPort },
  ingest: { metrics: defaults.ingest.metricsPort },
  api: { http: defaults.api.port },
};

function k8sDocs(dir: string): K8sDoc[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as K8sDoc))
    .filter(Boolean);
}

function sourceFiles(dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    (readdirSync(join(repoRoot, dir), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.includes('node_modules'))
      .map((f) => join(repoRoot, dir, f)),
  );
}

/**
 * The series the code exports and the source they are written in. Node's own series come from
 * prom-client's default metrics (collectProcessMetrics): their names from the registry, their label
 * values from prom-client's source.
 */
async function exportedMetrics(): Promise<{ code: string; metrics: Set<string> }> {
  collectProcessMetrics();
  const promClientDir = join(repoRoot, 'node_modules/prom-client/lib/metrics');
  const promClient = readdirSync(promClientDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(promClientDir, f), 'utf8'));
  const code = [...sourceFiles(['services', 'packages']).map((f) => readFileSync(f, 'utf8')), ...promClient].join('\n');
  const metrics = new Set([...code.matchAll(/name: '(riverwatch_[a-z_]+)'/g)].map((m) => m[1]!));
  for (const m of await metricsRegistry.getMetricsAsJSON()) metrics.add(m.name);
  return { code, metrics };
}

function deploymentContainers(all: K8sDoc[]): [string, Container][] {
  return all
    .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
    .flatMap((d) => ((d.spec as { template: { spec: { containers: (Container & { image: string })[] } } }).template.spec.containers.filter((c) => c.image === 'riverwatch').map((c) => [d.metadata.name, c] as [string, Container])));
}

describe('deployment files agree with the code', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; environment?: Env; healthcheck?: { test: string[] }; entrypoint?: string[]; ipc?: string }> };
  const riverwatchServices = Object.entries(compose.services).filter(([, s]) => s.image === 'riverwatch:latest' && s.environment?.RIVERWATCH_SERVICES);
  const base = k8sDocs(join(repoRoot, 'k8s/base'));
  const config = base.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'riverwatch-config')!;
  const secret = base.find((d) => d.kind === 'Secret')!;

  it('docker-compose: every riverwatch container runs real services with documented, valid settings', () => {
    expect(riverwatchServices.map(([name]) => name).sort()).toEqual(['api', 'inference', 'ingest', 'worker']);
    for (const [name, svc] of riverwatchServices) {
      const env = svc.environment!;
      expect(parseServices(env.RIVERWATCH_SERVICES!), name).toEqual([name]);
      const unknown = Object.keys(env).filter((k) => !documented(k) && !PLATFORM_VARS.has(k));
      expect(unknown, `${name}: variables not in docs/configuration.md`).toEqual([]);
      // The values parse (with compose's ${VAR:-default} written as its default).
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
      expect(() => loadConfig(resolved), name).not.toThrow();
      expect(resolved.INFERENCE_TARGETS).toBe(`inference:${servicePorts.inference.grpc}`);
    }
    // Workers that pass tensors through /dev/shm share the inference container's, which allows it.
    const shmClients = riverwatchServices.filter(([, svc]) => svc.environment!.INFERENCE_SHARED_MEMORY === 'true');
    for (const [name, svc] of shmClients) expect(svc.ipc, name).toBe('service:inference');
    if (shmClients.length) {
      expect(compose.services.inference!.ipc).toBe('shareable');
      expect(compose.services.inference!.environment!.INFERENCE_ALLOW_CLIENT_SHM).toBe('true');
    }
    // The inference health check asks the metrics port.
    expect(compose.services.inference!.healthcheck!.test.join(' ')).toContain(`:${servicePorts.inference.metrics}/readyz`);
    // The demo camera feed plays a clip that exists.
    const clip = compose.services['demo-camera-feed']!.entrypoint!.join(' ').match(/-i (\S+)/)![1]!;
    expect(existsSync(join(repoRoot, clip)), clip).toBe(true);
  });

  it('k8s: the config and secrets hold only documented variables that parse', () => {
    const env = { ...config.data, ...secret.stringData };
    expect(Object.keys(env).filter((k) => !documented(k))).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('k8s: each Deployment runs its service, on the ports its probes and Services use', () => {
    const containers = deploymentContainers(base);
    expect(containers.map(([name]) => name).sort()).toEqual(['api', 'inference', 'ingest', 'worker']);
    for (const [name, c] of containers) {
      const services = c.env!.find((e) => e.name === 'RIVERWATCH_SERVICES')!.value!;
      expect(parseServices(services), name).toEqual([name]);
      const own = Object.fromEntries(c.env!.map((e) => [e.name, e.value ?? '']));
      expect(Object.keys(own).filter((k) => !documented(k))).toEqual([]);
      const ports = Object.values(name === 'api' ? { http: Number(own.PORT ?? servicePorts.api.http) } : servicePorts[name as keyof typeof servicePorts]);
      expect(c.ports!.map((p) => p.containerPort).sort(), name).toEqual([...ports].sort());
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const port = probe?.httpGet?.port ?? probe?.grpc?.port;
        expect(ports, `${name} probe port`).toContain(port);
      }
    }
    // The worker finds inference pods through the headless Service on the gRPC port.
    expect(config.data!.INFERENCE_TARGETS).toBe(`dns:///inference-headless:${servicePorts.inference.grpc}`);
    const headless = base.find((d) => d.kind === 'Service' && d.metadata.name === 'inference-headless')!;
    expect((headless.spec as { ports: { port: number }[] }).ports[0]!.port).toBe(servicePorts.inference.grpc);
  });

  it('k8s: KEDA scales the workers on the list BullMQ keeps waiting frames in', () => {
    const scaled = base.find((d) => d.kind === 'ScaledObject')!;
    const trigger = (scaled.spec as { triggers: { type: string; metadata: { listName: string } }[] }).triggers[0]!;
    const keys = new RedisKeys(defaults.keyPrefix);
    expect(trigger.type).toBe('redis');
    expect(trigger.metadata.listName).toBe(`${keys.queuePrefix}:${QueueName.frames}:wait`);
  });

  it('k8s overlays: KEDA scales inference on CPU use of the container that requests CPU (cpu), and on GPU busy time from series the server exports (gpu)', async () => {
    const inferenceScaler = (overlay: string) => {
      const scaled = k8sDocs(join(repoRoot, 'k8s/overlays', overlay)).filter((d) => d.kind === 'ScaledObject');
      expect(scaled.map((d) => d.metadata.name)).toEqual(['inference']);
      return (scaled[0]!.spec as { scaleTargetRef: { name: string }; triggers: { type: string; metricType?: string; metadata: Record<string, string> }[] });
    };
    const cpu = inferenceScaler('cpu');
    expect(cpu.triggers).toHaveLength(1);
    expect(cpu.triggers[0]).toMatchObject({ type: 'cpu', metricType: 'Utilization', metadata: { containerName: 'inference' } });
    // KEDA's cpu scaler measures against the container's CPU request: it must have one.
    const inference = base.find((d) => d.kind === 'Deployment' && d.metadata.name === 'inference')!;
    const container = (inference.spec as { template: { spec: { containers: { name: string; resources?: { requests?: { cpu?: string } } }[] } } }).template.spec.containers.find((c) => c.name === 'inference')!;
    expect(container.resources?.requests?.cpu).toBeTruthy();

    const gpu = inferenceScaler('gpu');
    expect(gpu.triggers).toHaveLength(1);
    const query = gpu.triggers[0]!.metadata.query!;
    expect(gpu.triggers[0]!.type).toBe('prometheus');
    const { metrics } = await exportedMetrics();
    const names = [...query.matchAll(/riverwatch_[a-z_]+/g)].map(([n]) => n);
    expect(names).toEqual(['riverwatch_inference_compute_seconds_sum']);
    for (const n of names) expect(metrics).toContain(n.replace(/_(bucket|sum|count)$/, ''));
    // The series carry the namespace the pods run in (the Prometheus Operator labels them so).
    const namespace = (parse(readFileSync(join(repoRoot, 'k8s/base/kustomization.yaml'), 'utf8')) as { namespace: string }).namespace;
    expect(query).toContain(`namespace="${namespace}"`);
  });

  it('k8s: kustomizations name files and bases that exist', () => {
    for (const dir of ['k8s/base', 'k8s/overlays/cpu', 'k8s/overlays/gpu', 'k8s/monitoring']) {
      const k = parse(readFileSync(join(repoRoot, dir, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
      for (const r of k.resources ?? []) expect(existsSync(join(repoRoot, dir, r)), `${dir}: ${r}`).toBe(true);
    }
  });

  it('k8s/monitoring: the PodMonitor scrapes named ports the pods have; the alert rules use only metrics and label values the code exports', async () => {
    const monitoring = k8sDocs(join(repoRoot, 'k8s/monitoring'));
    const portNames = new Set(
      base
        .filter((d) => d.kind === 'Deployment')
        .flatMap((d) => (d.spec as { template: { spec: { containers: { ports?: { name?: string }[] }[] } } }).template.spec.containers.flatMap((c) => c.ports ?? []))
        .map((p) => p.name),
    );
    const podMonitor = monitoring.find((d) => d.kind === 'PodMonitor')!;
    for (const e of (podMonitor.spec as { podMetricsEndpoints: { port: string }[] }).podMetricsEndpoints) expect(portNames, e.port).toContain(e.port);

    const { code, metrics } = await exportedMetrics();
    const rules = monitoring.find((d) => d.kind === 'PrometheusRule')!;
    const exprs = (rules.spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    expect(exprs.length).toBeGreaterThan(5);
    for (const { alert, expr } of exprs) {
      for (const [name] of expr.matchAll(/(riverwatch|nodejs|process)_[a-z_]+/g)) expect(metrics, `${alert}: ${name}`).toContain(name.replace(/_(bucket|sum|count)$/, ''));
      // Positive matchers name values the code writes somewhere as a string literal (a typo there would never fire).
      for (const [, label, values] of expr.matchAll(/(\w+)=~?"([^"]+)"/g)) {
        for (const v of values!.split('|')) expect(code, `${alert}: ${label}="${v}"`).toContain(`'${v}'`);
      }
    }
  });

  it('Dockerfiles copy paths that exist and start the CLI', () => {
    for (const file of ['infra/Dockerfile', 'infra/Dockerfile.gpu']) {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      for (const [, sources] of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const src of sources!.split(/\s+/)) expect(existsSync(join(repoRoot, src)), `${file}: COPY ${src}`).toBe(true);
      }
      expect(text).toMatch(/bin\/riverwatch\.js start/);
    }
  });
});
