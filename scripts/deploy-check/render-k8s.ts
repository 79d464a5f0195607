import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { K8S_KUSTOMIZATIONS } from './deploy-files.ts';
import { renderKustomization, toYamlStream } from './kustomize.ts';
import { DeployCheckError } from './problem.ts';

/**
 * `npm run -s k8s:render -- cpu [--out FILE]`: what the tests render for an overlay, to diff
 * against the real thing: `diff <(npm run -s k8s:render -- cpu) <(kubectl kustomize k8s/overlays/cpu)`.
 * Names a known overlay (base, cpu, gpu, monitoring) or any kustomization folder.
 */
const repoRoot = resolve(import.meta.dirname, '../..');
const { positionals, values } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
if (positionals.length !== 1) {
  console.error(`usage: npm run -s k8s:render -- <${Object.keys(K8S_KUSTOMIZATIONS).join('|')}|DIR> [--out FILE]`);
  process.exit(2);
}
const target = positionals[0]!;
const dir = K8S_KUSTOMIZATIONS[target] ? join(repoRoot, K8S_KUSTOMIZATIONS[target]) : resolve(target);
try {
  const yaml = toYamlStream(renderKustomization(dir, repoRoot));
  if (values.out) writeFileSync(values.out, yaml);
  else process.stdout.write(yaml);
} catch (err) {
  if (!(err instanceof DeployCheckError)) throw err;
  console.error(err.message);
  process.exit(1);
}
