import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { resizeForModel, type InputSpec } from '@riverwatch/vision';
import { evalSample, PYTHON, REPO } from './support.ts';

const run = promisify(execFile);

/** The training kit's letterbox (cv2) of one image as raw RGB bytes, plus its scale and padding. */
async function pythonLetterbox(path: string, width: number, height: number): Promise<{ rgb: Buffer; r: number; pad: [number, number] }> {
  const script = [
    'import sys, json, cv2',
    `sys.path.insert(0, ${JSON.stringify(join(REPO, 'training'))})`,
    'from riverkit.common import letterbox',
    `im = cv2.cvtColor(cv2.imread(sys.argv[1]), cv2.COLOR_BGR2RGB)`,
    `out, r, pad = letterbox(im, (${height}, ${width}))`,
    'sys.stdout.buffer.write(json.dumps([r, list(pad)]).encode() + b"\\n" + out.tobytes())',
  ].join('\n');
  const { stdout } = await run(PYTHON, ['-c', script, path], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const nl = stdout.indexOf(10);
  const [r, pad] = JSON.parse(stdout.subarray(0, nl).toString()) as [number, [number, number]];
  return { rgb: stdout.subarray(nl + 1), r, pad };
}

describe('letterbox parity with the training kit', () => {
  // 320x320 halves a 640x360 frame; 640x384 (the shipped detectors) keeps it at scale 1 and only pads.
  it.each([[320, 320], [640, 384]])('places frames exactly where training did, with near-identical pixels (%ix%i input)', async (width, height) => {
    const data = await evalSample();
    const path = join(data, 'images', '000000.jpg');
    const input: InputSpec = { name: 'images', dtype: 'FP32', layout: 'NCHW', width, height, colorOrder: 'RGB', resize: 'letterbox', padValue: 114, normalize: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] } };
    const [py, ts] = await Promise.all([pythonLetterbox(path, width, height), resizeForModel(await readFile(path), input)]);
    // Same geometry: the padding offsets and the resized band match exactly.
    expect([ts.transform.padX, ts.transform.padY]).toEqual(py.pad);
    expect(ts.transform.scaleX).toBeCloseTo(py.r, 2);
    expect(ts.rgb.length).toBe(py.rgb.length);
    // Padding rows are the pad value in both; image pixels differ only by resampling details.
    const rowBytes = width * 3;
    let padDiff = 0, sum = 0, n = 0;
    for (let i = 0; i < ts.rgb.length; i++) {
      const y = Math.floor(i / rowBytes);
      const d = Math.abs(ts.rgb[i]! - py.rgb[i]!);
      if (y < py.pad[1] || y >= height - py.pad[1]) padDiff = Math.max(padDiff, d);
      else {
        sum += d;
        n++;
      }
    }
    expect(padDiff).toBe(0);
    expect(sum / n).toBeLessThan(2); // mean absolute difference in 0..255 levels (about 1: bilinear in sharp vs cv2)
  });
});
