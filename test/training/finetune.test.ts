import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.ts';
import { loadClip } from '../support/clip-feeder.ts';
import { startHarness } from '../inference/support.ts';

/**
 * The labelling loop's last step, for real but short: fine-tune the shipped detector from
 * its committed PyTorch weights on a dataset in `riverwatch dataset export`'s layout
 * (images/, labels/, data.yaml), write it as version 2 beside version 1, and have the
 * inference server serve it as the newest. Three steps of training prove the plumbing,
 * not accuracy. Bad input (no images/, other classes, no --out) stops with a clear message.
 */
const MODEL = 'debris-yolov5';
const CLASSES = (JSON.parse(readFileSync(`${repoRoot}models/${MODEL}/config.json`, 'utf8')) as { classes: string[] }).classes;

function train(dir: string, args: string[]) {
  return spawnSync('/usr/bin/python3', ['training/train_yolov5.py', '--iters', '3', '--batch', '4', '--train-count', '4', '--eval-count', '4', '--checkpoint', join(dir, 'ck.pt'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, RIVERWATCH_DATA: join(dir, 'cache') },
  });
}

/** Operator-labelled frames as `riverwatch dataset export` writes them: from the rendered clip's ground truth. */
function reviewSet(root: string, classes: string[] = CLASSES): string {
  const clip = loadClip('debris-appears');
  mkdirSync(join(root, 'images'), { recursive: true });
  mkdirSync(join(root, 'labels'), { recursive: true });
  for (const f of clip.truth.frames.slice(18, 30)) {
    const name = `cam_1_frm_${f.index}`;
    writeFileSync(join(root, 'images', `${name}.jpg`), clip.frame(f.index));
    const lines = f.objects.map(({ box: [x1, y1, x2, y2], className }) => `${CLASSES.indexOf(className)} ${(x1! + x2!) / 2 / 640} ${(y1! + y2!) / 2 / 360} ${(x2! - x1!) / 640} ${(y2! - y1!) / 360}`);
    writeFileSync(join(root, 'labels', `${name}.txt`), lines.join('\n') + '\n');
  }
  writeFileSync(join(root, 'data.yaml'), `path: ${root}\ntrain: images\nval: images\nnc: ${classes.length}\nnames: [${classes.map((c) => JSON.stringify(c)).join(', ')}]\n`);
  return root;
}

describe('fine-tuning the shipped detector on exported review frames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-finetune-'));
  const repo = join(dir, 'repo');
  let run: ReturnType<typeof train>;

  beforeAll(() => {
    // The repository an operator serves: the shipped version 1, fine-tuned into version 2.
    cpSync(`${repoRoot}models/${MODEL}`, join(repo, MODEL), { recursive: true });
    run = train(dir, ['--finetune', reviewSet(join(dir, 'review-set')), '--out', join(repo, MODEL), '--version', '2']);
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from the committed weights, trains on the set and writes version 2 beside version 1', () => {
    expect(run.status, run.stderr).toBe(0);
    const log = readFileSync(join(repo, MODEL, 'train_log.txt'), 'utf8');
    expect(log).toContain(`initialised from ${repoRoot}models/${MODEL}/weights.pt`);
    expect(log).toMatch(/finetune set .*review-set: 12 images, \d+ boxes, x4/);
    expect(existsSync(join(repo, MODEL, '2', 'model.onnx'))).toBe(true);
    // Version 1 is untouched (not converted a second time), and the config describes a UINT8 model.
    expect(readFileSync(join(repo, MODEL, '1', 'model.onnx')).equals(readFileSync(`${repoRoot}models/${MODEL}/1/model.onnx`))).toBe(true);
    const config = JSON.parse(readFileSync(join(repo, MODEL, 'config.json'), 'utf8')) as { name: string; input: { dtype: string }; evaluation: { finetune?: { version: number } } };
    expect(config).toMatchObject({ name: MODEL, input: { dtype: 'UINT8' }, evaluation: { finetune: { version: 2 } } });
  });

  it('is served as the newest version, and version 1 still answers', async () => {
    const h = await startHarness({ models: [], prepare: (r) => cpSync(join(repo, MODEL), join(r, MODEL), { recursive: true }) });
    try {
      const input = [{ name: 'images', datatype: 'UINT8' as const, shape: [1, 3, 384, 640], data: Buffer.alloc(3 * 384 * 640, 90) }];
      // The raw grid by name (a request naming no output gets the server-side `detections`, as config.json asks).
      const newest = await h.client.infer(MODEL, input, { outputs: ['output0'] });
      expect(newest.modelVersion).toBe('2');
      expect(newest.outputs[0]!.shape).toEqual([1, 15120, 10]);
      expect((await h.client.infer(MODEL, input, { version: '1' })).modelVersion).toBe('1');
    } finally {
      await h.stop();
    }
  });

  it('refuses a set without images/, a set with other classes, and overwriting the shipped model', () => {
    const empty = join(dir, 'no-images');
    mkdirSync(empty);
    const noImages = train(dir, ['--finetune', empty, '--out', join(dir, 'x', MODEL)]);
    expect(noImages.status).not.toBe(0);
    expect(noImages.stderr).toContain('no images/ folder');

    const other = reviewSet(join(dir, 'other-classes'), ['cat', 'dog']);
    const wrong = train(dir, ['--finetune', other, '--out', join(dir, 'y', MODEL)]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain("data.yaml classes ['cat', 'dog'] differ from the model's");

    const shipped = train(dir, ['--finetune', reviewSet(join(dir, 'set-3'))]);
    expect(shipped.status).not.toBe(0);
    expect(shipped.stderr).toContain('--finetune makes a new model: give --out DIR');
    expect(readFileSync(`${repoRoot}models/${MODEL}/1/model.onnx`).equals(readFileSync(join(repo, MODEL, '1', 'model.onnx')))).toBe(true);
  });
});
