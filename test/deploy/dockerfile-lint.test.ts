import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCKERFILES } from '../../scripts/deploy-check/deploy-files.ts';
import { lintDockerfile } from '../../scripts/deploy-check/dockerfile-lint.ts';
import { formatProblem } from '../../scripts/deploy-check/problem.ts';
import { repoRoot } from '../support/cli.ts';
import { brokenCopy, type Breakage } from './fixtures.ts';

/** The images are never built here, so their Dockerfiles are linted: syntax and the usual mistakes, each named by file, line and instruction. */
const lint = (root: string, file: string) => lintDockerfile(readFileSync(join(root, file), 'utf8'), file, root).map(formatProblem);

describe('Dockerfiles', () => {
  for (const file of DOCKERFILES) {
    it(`${file}: valid syntax, pinned base, non-root, health check, no secrets, no hidden pipe failures`, () => {
      expect(lint(repoRoot, file)).toEqual([]);
    });
  }

  const broken: [string, string, Breakage[], string][] = [
    ['no USER', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: 'USER node\n', to: '' }], 'infra/Dockerfile:2: FROM node:20-bookworm-slim: the final stage sets no USER, so the container runs as root'],
    ['USER root', 'infra/Dockerfile.gpu', [{ file: 'infra/Dockerfile.gpu', from: 'USER 10001', to: 'USER root' }], 'infra/Dockerfile.gpu:25: USER root: the last USER is root'],
    ['a :latest base image', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: 'FROM node:20-bookworm-slim', to: 'FROM node:latest' }], 'infra/Dockerfile:2: FROM node:latest: base image "node:latest" uses :latest'],
    ['an untagged base image', 'infra/Dockerfile.gpu', [{ file: 'infra/Dockerfile.gpu', from: 'FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04', to: 'FROM nvidia/cuda' }], 'infra/Dockerfile.gpu:3: FROM nvidia/cuda: base image "nvidia/cuda" has no tag'],
    ['no HEALTHCHECK', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: /^HEALTHCHECK .*\n/m, to: '' }], 'infra/Dockerfile:2: FROM node:20-bookworm-slim: the final stage has no HEALTHCHECK'],
    ['a misspelt instruction', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: 'HEALTHCHECK --interval', to: 'HEALTHCHEK --interval' }], 'infra/Dockerfile:22: syntax: Unknown instruction: HEALTHCHEK'],
    ['a secret in ENV', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: 'ENV NODE_ENV=production', to: 'ENV S3_SECRET_KEY=riverwatch-secret NODE_ENV=production' }], 'infra/Dockerfile:18: ENV S3_SECRET_KEY=riverwatch-secret NODE_ENV=production L...: ENV S3_SECRET_KEY looks like a secret'],
    ['a token passed as a build ARG', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: 'WORKDIR /app\n', to: 'WORKDIR /app\nARG NPM_TOKEN\n' }], 'infra/Dockerfile:7: ARG NPM_TOKEN: ARG NPM_TOKEN looks like a secret'],
    ['a key file copied in', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: 'COPY bin bin', to: 'COPY deploy.pem bin' }], 'infra/Dockerfile:13: COPY deploy.pem bin: copies deploy.pem, which looks like a secret'],
    [
      'an .npmrc holding a registry token',
      'infra/Dockerfile',
      [{ file: '.npmrc', from: /$/, to: '//registry.npmjs.org/:_authToken=npm_abc123\n' }],
      'infra/Dockerfile:7: COPY package.json package-lock.json .npmrc ./: copies .npmrc, which holds registry credentials',
    ],
    ['a pipe without pipefail', 'infra/Dockerfile.gpu', [{ file: 'infra/Dockerfile.gpu', from: /^SHELL .*\n/m, to: '' }], 'infra/Dockerfile.gpu:5: RUN apt-get update && apt-get install -y --no-install-rec...: pipes without pipefail'],
    ['apt lists left behind', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: ' \\\n && rm -rf /var/lib/apt/lists/*', to: '' }], 'infra/Dockerfile:3: RUN apt-get update && apt-get install -y --no-install-rec...: apt-get install leaves /var/lib/apt/lists'],
    ['a shell-form CMD', 'infra/Dockerfile', [{ file: 'infra/Dockerfile', from: /^CMD .*$/m, to: 'CMD node bin/riverwatch.js start' }], 'infra/Dockerfile:24: CMD node bin/riverwatch.js start: CMD in shell form'],
  ];
  for (const [mistake, file, breakages, expected] of broken) {
    it(`a copy of ${file} with ${mistake} fails`, () => {
      const found = lint(brokenCopy(['infra', '.npmrc'], ...breakages), file);
      expect(found.some((p) => p.startsWith(expected)), `expected a problem starting\n  ${expected}\ngot\n  ${found.join('\n  ')}`).toBe(true);
    });
  }
});
