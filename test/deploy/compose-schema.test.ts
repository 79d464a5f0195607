import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCompose } from '../../scripts/deploy-check/compose-schema.ts';
import { COMPOSE_FILE } from '../../scripts/deploy-check/deploy-files.ts';
import { formatProblem } from '../../scripts/deploy-check/problem.ts';
import { repoRoot } from '../support/cli.ts';
import { brokenCopy, type Breakage } from './fixtures.ts';

/** docker-compose.yml against the Compose Specification schema and its own references; broken copies must fail by line and field. */
const problems = (root: string) => checkCompose(readFileSync(join(root, COMPOSE_FILE), 'utf8'), COMPOSE_FILE).map(formatProblem);

describe('docker-compose.yml against the Compose Specification', () => {
  it('passes the schema, and every service, volume and namespace it names exists', () => {
    expect(problems(repoRoot)).toEqual([]);
  });

  const broken: [string, Breakage, string[]][] = [
    ['a misspelt service key', { file: COMPOSE_FILE, from: 'healthcheck: { test: ["CMD", "redis-cli"', to: 'helthcheck: { test: ["CMD", "redis-cli"' }, ['docker-compose.yml:24: services.redis.helthcheck: unknown field "helthcheck"']],
    [
      'a misspelt key in the shared x-riverwatch block, reported for every service that merges it',
      { file: COMPOSE_FILE, from: '  restart: unless-stopped', to: '  restrat: unless-stopped' },
      ['services.inference.restrat: unknown field', 'services.worker.restrat: unknown field', 'services.ingest.restrat: unknown field', 'services.api.restrat: unknown field'],
    ],
    ['a word for a number', { file: COMPOSE_FILE, from: 'deploy: { replicas: 2 }', to: 'deploy: { replicas: two }' }, ['services.worker.deploy.replicas: must be integer']],
    ['a duration Compose cannot read', { file: COMPOSE_FILE, from: 'interval: 5s, retries: 30', to: 'interval: 5 seconds, retries: 30' }, ['services.inference.healthcheck.interval: must match format "duration"']],
    ['an unknown depends_on condition', { file: COMPOSE_FILE, from: 'inference: { condition: service_healthy }', to: 'inference: { condition: healthy }' }, ['services.worker.depends_on.inference.condition: must be one of']],
    ['depends_on a service that is not there', { file: COMPOSE_FILE, from: 'depends_on: [demo-camera]', to: 'depends_on: [demo-camra]' }, ['services.demo-camera-feed.depends_on.demo-camra: depends on "demo-camra", which is not a service here']],
    ['an IPC namespace of a service that is not there', { file: COMPOSE_FILE, from: 'ipc: "service:inference"', to: 'ipc: "service:inferance"' }, ['services.worker.ipc: names service "inferance"']],
    ['a named volume nobody declared', { file: COMPOSE_FILE, from: '"minio-data:/data"', to: '"minio-dta:/data"' }, ['services.minio.volumes[0]: uses volume "minio-dta"']],
    ['a key given twice', { file: COMPOSE_FILE, from: '    image: redis:7\n', to: '    image: redis:7\n    image: redis:6\n' }, ['docker-compose.yml:22: (document): Map keys must be unique']],
  ];
  for (const [mistake, breakage, expected] of broken) {
    it(`a copy with ${mistake} fails`, () => {
      const found = problems(brokenCopy([COMPOSE_FILE], breakage));
      for (const e of expected) expect(found.some((p) => p.includes(e)), `expected a problem with\n  ${e}\ngot\n  ${found.join('\n  ')}`).toBe(true);
      for (const p of found) expect(p).toMatch(/^docker-compose\.yml:\d+: /);
    });
  }
});
