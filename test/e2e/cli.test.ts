import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { repoRoot, runCli } from '../support/cli.ts';

describe('riverwatch CLI start-up errors', () => {
  it('names the variable and what it expects when configuration is bad, and exits non-zero', async () => {
    const run = runCli(['start', '--services', 'api'], { PORT: 'eighty', REDIS_URL: 'redis://127.0.0.1:1' });
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.output()).toMatch(/PORT must be an integer between 0 and 65535, got "eighty"/);
  });

  it('rejects an unknown service name', async () => {
    const run = runCli(['start', '--services', 'api,camera'], {});
    expect((await run.exited).code).toBe(2);
    expect(run.output()).toMatch(/--services must be "all" or a comma list of .*got "camera"/);
  });

  it('reports an unreachable Redis clearly instead of hanging', async () => {
    const run = runCli(['start', '--services', 'api'], { REDIS_URL: 'redis://127.0.0.1:1' });
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.output()).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 is unreachable \(REDIS_URL\)/);
  });

  it('prints help listing the subcommands', async () => {
    const run = runCli(['--help'], {});
    expect((await run.exited).code).toBe(0);
    expect(run.output()).toMatch(/start\s+run riverwatch services/);
    expect(run.output()).toMatch(/demo\s+/);
  });

  it('is reachable as `npx riverwatch` (the cli workspace links the bin)', () => {
    const out = execFileSync('npx', ['--no-install', 'riverwatch', '--help'], { cwd: repoRoot, encoding: 'utf8' });
    expect(out).toMatch(/usage: riverwatch <command>/);
  });
});
