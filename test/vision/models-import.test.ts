import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { ModelConfig } from '@riverwatch/common';
import { cli, FIXTURE_MODELS } from './support.ts';

const fixture = (name: string) => join(FIXTURE_MODELS, name);
let repo: string;
let image: string;

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'rw-models-'));
  image = join(repo, 'frame.jpg');
  // 128x64: letterboxed into the fixtures' 64x64 input at scale 0.5 with 16 rows of padding.
  await sharp({ create: { width: 128, height: 64, channels: 3, background: { r: 30, g: 60, b: 160 } } }).jpeg().toFile(image);
});
afterAll(() => rm(repo, { recursive: true, force: true }));

const readConfig = async (name: string) => JSON.parse(await readFile(join(repo, name, 'config.json'), 'utf8')) as ModelConfig;

describe('riverwatch models import', () => {
  it('imports a static fp32 YOLOv5 export, reading class names and stride from its metadata', async () => {
    const res = await cli('models', 'import', fixture('yolov5-static.onnx'), '--format', 'yolov5', '--name', 'river-v5', '--repository', repo);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const c = await readConfig('river-v5');
    expect(c).toMatchObject({
      name: 'river-v5',
      task: 'detect',
      format: 'yolov5',
      platform: 'onnxruntime_onnx',
      input: { name: 'images', dtype: 'FP32', layout: 'NCHW', width: 64, height: 64, resize: 'letterbox', colorOrder: 'RGB' },
      outputs: [{ name: 'output0', dtype: 'FP32', dims: [1, 252, 7] }],
      classes: ['bottle', 'bag'],
      maxBatchSize: 1,
    });
    expect((await stat(join(repo, 'river-v5', '1', 'model.onnx'))).size).toBeGreaterThan(0);
  });

  it('imports an fp16 export with dynamic axes and output "output" given --classes; it then detects in image pixels', async () => {
    const res = await cli('models', 'import', fixture('yolov5-fp16-dynamic.onnx'), '--format', 'yolov5', '--name', 'half', '--classes', 'bottle,bag', '--size', '64', '--repository', repo);
    expect(res.code).toBe(0);
    const c = await readConfig('half');
    expect(c.input).toMatchObject({ dtype: 'FP16', width: 64, height: 64 });
    expect(c.outputs).toEqual([{ name: 'output', dtype: 'FP16', dims: [-1, -1, 7] }]);
    expect(c.maxBatchSize).toBe(8); // dynamic batch

    const det = await cli('detect', '--model', join(repo, 'half'), '--json', '--threads', '1', image);
    expect(det.code).toBe(0);
    const out = JSON.parse(det.stdout) as { images: { width: number; detections: { class: string; score: number; box: number[] }[] }[] };
    // The fixture emits bottle (0.81) at model (24,24)-(40,40) and bag (0.56) at (6,16)-(14,24); its duplicate and a 0.09 row must not appear.
    expect(out.images[0]!.detections.map((d) => [d.class, d.box])).toEqual([
      ['bottle', [48, 16, 80, 48]],
      ['bag', [12, 0, 28, 16]],
    ]);
    expect(out.images[0]!.detections[0]!.score).toBeCloseTo(0.81, 2);
  });

  it('rounds a dynamic input size up to the export stride', async () => {
    const res = await cli('models', 'import', fixture('yolov5-fp16-dynamic.onnx'), '--format', 'yolov5', '--name', 'odd', '--classes', 'bottle,bag', '--size', '500', '--repository', repo);
    expect(res.code).toBe(0);
    expect((await readConfig('odd')).input.width).toBe(512);
  });

  it('adds a version when a name is imported again', async () => {
    const res = await cli('models', 'import', fixture('yolov5-static.onnx'), '--format', 'yolov5', '--name', 'river-v5', '--repository', repo);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('version 2');
    expect((await stat(join(repo, 'river-v5', '2', 'model.onnx'))).isFile()).toBe(true);
  });

  it('imports SSD (stretch resize by default) and segmentation exports', async () => {
    expect((await cli('models', 'import', fixture('ssd.onnx'), '--format', 'ssd', '--name', 'ssd', '--classes', 'bottle,bag', '--repository', repo)).code).toBe(0);
    expect(await readConfig('ssd')).toMatchObject({ format: 'ssd', input: { name: 'input', resize: 'stretch' }, classes: ['bottle', 'bag'] });
    expect((await cli('models', 'import', fixture('segmenter.onnx'), '--format', 'segmentation', '--name', 'water', '--repository', repo)).code).toBe(0);
    expect(await readConfig('water')).toMatchObject({ task: 'segment', format: 'segmentation', classes: ['water'], outputs: [{ name: 'logits', dims: [-1, 1, 64, 64] }] });
    const list = await cli('models', 'list', '--repository', repo, '--json');
    expect((JSON.parse(list.stdout) as { name: string }[]).map((m) => m.name)).toEqual(['half', 'odd', 'river-v5', 'ssd', 'water']);
  });

  it('imports a TensorFlow-style post-NMS SSD (uint8 NHWC input, y-first boxes) and detects with it', async () => {
    const res = await cli('models', 'import', fixture('tf-ssd-nms.onnx'), '--format', 'ssd-nms', '--name', 'tf-ssd', '--classes', 'background,bottle,bag', '--size', '64', '--repository', repo);
    expect(res.stderr).toBe('');
    const c = (await readConfig('tf-ssd')) as ModelConfig & { boxFormat?: string };
    expect(c.input).toMatchObject({ name: 'input_tensor', dtype: 'UINT8', layout: 'NHWC', width: 64, height: 64, resize: 'stretch' });
    expect(c.boxFormat).toBe('y1x1y2x2');
    expect(c.outputs.map((o) => o.name)).toEqual(['detection_boxes', 'detection_scores', 'detection_classes', 'num_detections']);
    const det = await cli('detect', '--model', join(repo, 'tf-ssd'), '--json', '--threads', '1', image);
    const out = JSON.parse(det.stdout) as { images: { detections: { class: string; box: number[] }[] }[] };
    // Stretch 128x64 -> 64x64; the 0.2 bottle is under the 0.3 threshold and the 4th row is past num_detections.
    expect(out.images[0]!.detections.map((d) => [d.class, d.box])).toEqual([
      ['bottle', [32, 16, 64, 32]],
      ['bag', [0, 32, 16, 48]],
    ]);
  });

  describe('refuses bad models with a clear message and exit code 2, writing nothing', () => {
    const cases: [string, string[], RegExp][] = [
      ['no class names and no --classes', [fixture('yolov5-fp16-dynamic.onnx'), '--format', 'yolov5'], /no class names: the export has no `names` metadata \(it has 2 classes\); pass --classes/],
      ['--classes count differs from the output', [fixture('yolov5-static.onnx'), '--format', 'yolov5', '--classes', 'a,b,c'], /3 class names given, but the output output0\[1,252,7\] has 2 classes/],
      ['too few values per row (wrong dims)', [fixture('bad-yolov5-dims.onnx'), '--format', 'yolov5'], /wrong dims: output0\[1,252,4\] has 4 values per row/],
      ['an output that is not [batch, rows, 5 + C]', [fixture('bad-yolov5-rank.onnx'), '--format', 'yolov5'], /unknown YOLOv5 output layout: output0\[1,252\]; expected \[batch, rows, 5 \+ classes\]/],
      ['outputs named neither output0 nor output', [fixture('bad-unknown-outputs.onnx'), '--format', 'yolov5'], /expected an output named output0 or output, got feat\[1,8,7\], aux\[1,8,7\]/],
      ['a YOLOv5 export imported as SSD', [fixture('yolov5-static.onnx'), '--format', 'ssd'], /unknown SSD output layout: expected outputs boxes .* and scores/],
      ['a detector imported as a segmenter', [fixture('ssd.onnx'), '--format', 'segmentation'], /unknown segmentation output layout/],
      ['an unknown format', [fixture('ssd.onnx'), '--format', 'yolov8'], /--format must be one of yolov5, ssd, ssd-nms, segmentation/],
    ];
    it.each(cases)('%s', async (_what, args, message) => {
      const res = await cli('models', 'import', ...args, '--name', 'rejected', '--repository', repo);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(message);
      await expect(stat(join(repo, 'rejected'))).rejects.toThrow();
    });

    it('a file that is not ONNX', async () => {
      const notOnnx = join(repo, 'notes.onnx');
      await copyFile(image, notOnnx);
      const res = await cli('models', 'import', notOnnx, '--format', 'yolov5', '--name', 'rejected', '--repository', repo);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/notes\.onnx: /);
    });

    it('a model name that could escape the repository', async () => {
      const res = await cli('models', 'import', fixture('yolov5-static.onnx'), '--format', 'yolov5', '--name', '../evil', '--repository', repo);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/model name "..\/evil" must be/);
    });
  });
});

describe('riverwatch detect', () => {
  it('reads a bare ONNX file with --format and prints a readable table', async () => {
    const res = await cli('detect', '--model', fixture('ssd.onnx'), '--format', 'ssd', '--classes', 'bottle,bag', '--threads', '1', image);
    expect(res.code).toBe(0);
    // Stretch 128x64 -> 64x64: bottle at normalised (0.25,0.25)-(0.5,0.5) is (32,16)-(64,32) in the image.
    expect(res.stdout).toMatch(/frame\.jpg \(128x64\): 2 detections\n\s+bottle\s+0\.850\s+\[32, 16, 64, 32\]\n\s+bag\s+0\.600/);
  });

  it('writes annotated JPEGs with --annotate', async () => {
    const dir = join(repo, 'annotated');
    const res = await cli('detect', '--model', fixture('ssd.onnx'), '--format', 'ssd', '--classes', 'bottle,bag', '--threads', '1', '--annotate', dir, image);
    expect(res.code).toBe(0);
    const meta = await sharp(join(dir, 'frame.jpg')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 128, 64]);
  });

  it('reports water share for a segmenter (the fixture calls bluish pixels water)', async () => {
    const res = await cli('detect', '--model', fixture('segmenter.onnx'), '--format', 'segmentation', '--json', '--threads', '1', image);
    expect(JSON.parse(res.stdout).images[0].waterShare).toBe(1);
  });

  it('says what is wrong with a corrupt image, a missing model and a bare file without --format', async () => {
    const bad = join(repo, 'bad.jpg');
    await copyFile(fixture('ssd.onnx'), bad);
    expect((await cli('detect', '--model', fixture('ssd.onnx'), '--format', 'ssd', '--classes', 'bottle,bag', bad)).stderr).toMatch(/bad\.jpg: frame is not a decodable image/);
    expect((await cli('detect', '--model', join(repo, 'missing'), image)).stderr).toMatch(/does not exist/);
    const noFormat = await cli('detect', '--model', fixture('ssd.onnx'), image);
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr).toMatch(/--format yolov5\|ssd\|ssd-nms\|segmentation is needed/);
  });
});
