import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const GENERATED = join(ROOT, 'packages/proto/src/generated');

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('generated gRPC types', () => {
  it('match proto/ (run `npm run proto:gen` after editing a .proto)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const args = pkg.scripts['proto:gen'].split(/\s+/);
    expect(args[0]).toBe('proto-loader-gen-types');
    const out = mkdtempSync(join(tmpdir(), 'rw-proto-'));
    try {
      const outIndex = args.indexOf('-O');
      args[outIndex + 1] = out;
      execFileSync(join(ROOT, 'node_modules/.bin/proto-loader-gen-types'), args.slice(1), { cwd: ROOT });
      expect(files(out)).toEqual(files(GENERATED));
      for (const f of files(out)) {
        expect(readFileSync(join(GENERATED, f), 'utf8'), `${f} is stale`).toBe(readFileSync(join(out, f), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
