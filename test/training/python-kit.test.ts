import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.ts';

/** The training kit's own Python tests run in the same suite (Debian's interpreter has its packages). */
describe('training kit (Python)', () => {
  it.each(['test_evaluate.py', 'test_augment.py', 'test_import.py', 'test_realism.py'])('%s passes', (script) => {
    // unittest reports on stderr; a failure exits non-zero and execFileSync throws with the report.
    const out = execFileSync('/usr/bin/python3', [`training/${script}`], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });
});
