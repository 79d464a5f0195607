import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.ts';

function intraOp(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/intra-op.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * bench:intra-op on real inference server processes for a few seconds: the --json report has the
 * documented shape, one row per spec in the order given, ratios against the first; bad specs are
 * refused before any server starts. No timing is asserted.
 */
describe('bench:intra-op', () => {
  it('serves a tiled frame from one server per INSTANCESxTHREADS spec and reports each against the first', () => {
    const run = intraOp(['--json', '--specs', '1x1,2x1', '--seconds', '0.3', '--rounds', '1']);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(run.stdout) as {
      model: string;
      inputsPerFrame: number;
      inputShape: number[];
      baseline: string;
      intraOpThreadsUnset: { threads: number; from: string };
      rows: { spec: string; instances: number; threads: number; c1P50Ms: number; c8FramesPerS: number; c1VsBaseline: number; c8VsBaseline: number; serverPeakRssMB: number }[];
    };
    expect(report.model).toBe('debris-yolov5');
    // The fixture's 1280x720 frame is 3x3 tiles plus the whole frame with the shipped tiling.
    expect(report.inputsPerFrame).toBe(10);
    expect(report.inputShape).toEqual([10, 3, 384, 640]);
    expect(report.baseline).toBe('1x1');
    expect(report.intraOpThreadsUnset.threads).toBeGreaterThanOrEqual(1);
    expect(report.rows.map((r) => [r.spec, r.instances, r.threads])).toEqual([
      ['1x1', 1, 1],
      ['2x1', 2, 1],
    ]);
    expect(report.rows[0]).toMatchObject({ c1VsBaseline: 1, c8VsBaseline: 1 });
    for (const r of report.rows) {
      expect(r.c1P50Ms).toBeGreaterThan(0);
      expect(r.c8FramesPerS).toBeGreaterThan(0);
      expect(r.serverPeakRssMB).toBeGreaterThan(50); // Node, onnxruntime and the model at least
      expect(r.c8VsBaseline).toBeCloseTo(r.c8FramesPerS / report.rows[0]!.c8FramesPerS, 2);
    }
  }, 240_000);

  it('refuses a spec that is not INSTANCESxTHREADS, or one listed twice, with a message and exit 2', () => {
    for (const specs of ['2', '0x2', '1x2,1x2']) {
      const run = intraOp(['--specs', specs]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^bench:intra-op: --specs /m);
    }
  }, 60_000);
});
