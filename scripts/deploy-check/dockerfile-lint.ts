import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Arg, DockerfileParser, Env, From, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import type { DeployProblem } from './problem.ts';

/**
 * Lints a Dockerfile without building it: its syntax as the Docker builder reads it
 * (dockerfile-utils, the VS Code Docker extension's validator), then the usual mistakes, each
 * with the hadolint or BuildKit check it mirrors: unpinned base images, running as root, no
 * HEALTHCHECK, secrets baked into layers, pipes that hide failures, apt caches left in the
 * image, shell-form CMD/ENTRYPOINT (the process then never sees SIGTERM).
 * `contextDir` is the build context, for reading the files COPY takes (an .npmrc with a token).
 */
export function lintDockerfile(text: string, file: string, contextDir?: string): DeployProblem[] {
  const problems: DeployProblem[] = [];
  const report = (instruction: Instruction | number, message: string) => {
    const line = typeof instruction === 'number' ? instruction : instruction.getRange().start.line + 1;
    const where = typeof instruction === 'number' ? 'syntax' : shorten(`${instruction.getKeyword()} ${instruction.getRawArgumentsContent() ?? ''}`);
    problems.push({ file, line, where, message });
  };
  for (const d of validate(text)) report(d.range.start.line + 1, typeof d.message === 'string' ? d.message : d.message.value);

  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const stages = splitStages(instructions);
  const stageNames = new Set<string>();
  const initialArgs = new Map(dockerfile.getInitialARGs().map((a) => [a.getProperty()?.getName() ?? '', a.getProperty()?.getValue() ?? '']));
  for (const stage of stages) {
    const from = stage[0] as From;
    checkBaseImage(from, stageNames, initialArgs, report);
    const alias = from.getBuildStage();
    if (alias) stageNames.add(alias.toLowerCase());
    checkRuns(stage, report);
    checkSecrets(stage, contextDir, report);
  }
  const final = stages[stages.length - 1];
  if (final) checkFinalStage(final, report);
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

type Report = (instruction: Instruction | number, message: string) => void;

function shorten(s: string): string {
  const one = s.replace(/\s*\\\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

function splitStages(instructions: Instruction[]): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const i of instructions) {
    if (i.getKeyword() === 'FROM') stages.push([i]);
    else stages[stages.length - 1]?.push(i);
  }
  return stages;
}

/** DL3006 / DL3007: a base image is a fixed version, so a rebuild gets the same one. */
function checkBaseImage(from: From, stageNames: Set<string>, args: Map<string, string>, report: Report): void {
  const raw = from.getImage() ?? '';
  const image = raw.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? '');
  if (image === 'scratch' || stageNames.has(image.toLowerCase())) return;
  const [nameAndTag, digest] = image.split('@');
  if (digest) return;
  const colon = nameAndTag!.lastIndexOf(':');
  const tag = colon > nameAndTag!.lastIndexOf('/') ? nameAndTag!.slice(colon + 1) : undefined;
  if (!tag) report(from, `base image "${image}" has no tag, so it means :latest; pin a version (DL3006)`);
  else if (tag === 'latest') report(from, `base image "${image}" uses :latest; pin a version (DL3007)`);
  else if (!/\d/.test(tag)) report(from, `base image tag "${tag}" names no version and moves; pin a version`);
}

/** The image's own process: not root (DL3002), with a health check, started in exec form (DL3025). */
function checkFinalStage(stage: Instruction[], report: Report): void {
  const users = stage.filter((i) => i.getKeyword() === 'USER');
  const user = users[users.length - 1];
  if (!user) report(stage[0]!, 'the final stage sets no USER, so the container runs as root (DL3002)');
  else if (/^(root|0)(:|$)/.test(user.getArgumentsContent() ?? '')) report(user, 'the last USER is root (DL3002)');

  const healthchecks = stage.filter((i) => i.getKeyword() === 'HEALTHCHECK');
  const healthcheck = healthchecks[healthchecks.length - 1];
  if (!healthcheck) report(stage[0]!, 'the final stage has no HEALTHCHECK, so Docker cannot tell a hung container from a working one');
  else if (/^NONE\b/i.test(healthcheck.getArgumentsContent() ?? '')) report(healthcheck, 'HEALTHCHECK NONE turns the check off');

  for (const keyword of ['CMD', 'ENTRYPOINT']) {
    const found = stage.filter((i) => i.getKeyword() === keyword);
    if (found.length > 1) report(found[1]!, `more than one ${keyword}; only the last counts (DL4003/DL4004)`);
    for (const i of found) {
      if (!(i.getArgumentsContent() ?? '').trim().startsWith('[')) report(i, `${keyword} in shell form runs under /bin/sh, which does not pass SIGTERM on; use the JSON form (DL3025)`);
    }
  }
}

/** DL4006: `a | b` under /bin/sh succeeds when `a` fails; DL3015 / DL3009: apt-get without recommends and without its lists. */
function checkRuns(stage: Instruction[], report: Report): void {
  let pipefail = false;
  for (const i of stage) {
    const args = i.getArgumentsContent() ?? '';
    if (i.getKeyword() === 'SHELL') pipefail = /pipefail/.test(args);
    if (i.getKeyword() !== 'RUN') continue;
    const command = args.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, '""');
    if (/[^|]\|[^|]/.test(command) && !pipefail && !/set -[a-z]*o pipefail/.test(command)) {
      report(i, 'pipes without pipefail: a failing command before | goes unnoticed; add SHELL ["/bin/bash", "-o", "pipefail", "-c"] first (DL4006)');
    }
    if (/apt-get( [-\w]+)* install/.test(command)) {
      if (!/--no-install-recommends/.test(command)) report(i, 'apt-get install without --no-install-recommends (DL3015)');
      if (!/(^|\s)(-y|--yes|-qq?y|--assume-yes)(\s|$)/.test(command)) report(i, 'apt-get install without -y waits for an answer (DL3014)');
      if (!/rm -rf \/var\/lib\/apt\/lists/.test(command)) report(i, 'apt-get install leaves /var/lib/apt/lists in the layer; remove it in the same RUN (DL3009)');
    }
  }
}

/** BuildKit's SecretsUsedInArgOrEnv: names that say secret; ARG and ENV values stay in the image's history. */
const SECRET_NAME = /(^|_)(apikey|auth|credentials?|key|password|passwd|pword|secret|token)(_|$)/i;
const SECRET_FILES = /^(\.env(\..+)?|id_(rsa|dsa|ecdsa|ed25519)|\.netrc|\.git-credentials|credentials\.json|.+\.(pem|key|p12|pfx))$/;
/** Registry credentials as package managers write them in their rc files. */
const RC_CREDENTIALS = /(_authToken|_auth|_password|password\s*[:=])/;

function checkSecrets(stage: Instruction[], contextDir: string | undefined, report: Report): void {
  for (const i of stage) {
    const keyword = i.getKeyword();
    if (keyword === 'ENV' || keyword === 'ARG') {
      for (const name of propertyNames(i)) {
        if (SECRET_NAME.test(name) && !/public/i.test(name)) report(i, `${keyword} ${name} looks like a secret; ${keyword} values stay in the image history; mount it with RUN --mount=type=secret instead`);
      }
    }
    if (keyword === 'COPY' || keyword === 'ADD') {
      if (i.getArguments().some((a) => a.getValue().startsWith('--from'))) continue;
      const paths = i.getArguments().filter((a) => !a.getValue().startsWith('--')).map((a) => a.getValue().replace(/^\[?"|",?$|"\]$/g, ''));
      for (const source of paths.slice(0, -1)) {
        const name = basename(source);
        if (SECRET_FILES.test(name)) report(i, `copies ${source}, which looks like a secret, into a layer`);
        const full = contextDir ? join(contextDir, source) : undefined;
        if (full && /^\.(npmrc|pypirc|yarnrc(\.yml)?)$/.test(name) && existsSync(full) && statSync(full).isFile() && RC_CREDENTIALS.test(readFileSync(full, 'utf8'))) {
          report(i, `copies ${source}, which holds registry credentials, into a layer`);
        }
      }
    }
  }
}

function propertyNames(i: Instruction): string[] {
  if (i instanceof Env) return i.getProperties().map((p) => p.getName());
  if (i instanceof Arg) return [i.getProperty()?.getName() ?? ''];
  return [];
}
