import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.ts';

/** The training kit's own Python tests run in the same suite (Debian's interpreter has its packages). */
describe('training kit (Python)', () => {
  it('evaluate.py passes its hand-computed checks', () => {
    const out = execFileSync('/usr/bin/python3', ['training/test_evaluate.py'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });
});
