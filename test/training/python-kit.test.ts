import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.ts';

const run = promisify(execFile);

/** The training kit's own Python tests run in the same suite (Debian's interpreter has its packages). */
describe('training kit (Python)', () => {
  it.each(['test_evaluate.py', 'test_augment.py', 'test_import.py', 'test_realism.py', 'test_export.py'])(
    '%s passes',
    async (script) => {
      // unittest reports on stderr; a failure exits non-zero and execFile rejects with the report.
      // Async, so a long script does not block the test worker's event loop.
      const { stdout } = await run('/usr/bin/python3', [`training/${script}`], { cwd: repoRoot, encoding: 'utf8' });
      expect(stdout).toBe('');
    },
    240_000,
  );
});
