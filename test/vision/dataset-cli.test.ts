import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readYoloDataset } from '@riverwatch/vision';
import { cli } from './support.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rw-dataset-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('riverwatch dataset render', () => {
  it('renders a YOLO dataset with masks, the same bytes for the same seed', async () => {
    const a = join(tmp, 'a'), b = join(tmp, 'b');
    expect((await cli('dataset', 'render', '--split', 'eval', '--count', '2', '--out', a)).code).toBe(0);
    expect((await cli('dataset', 'render', '--split', 'eval', '--count', '1', '--start', '1', '--out', b)).code).toBe(0);
    const ds = await readYoloDataset(a);
    expect(ds.names).toContain('bottle');
    expect(ds.images.map((i) => [i.id, i.width, i.height, !!i.maskPath])).toEqual([['000000', 640, 360, true], ['000001', 640, 360, true]]);
    // Image i depends only on the split seed and i: rendered alone it is identical.
    expect(await sha(join(b, 'images', '000001.jpg'))).toBe(await sha(join(a, 'images', '000001.jpg')));
    expect(await sha(join(b, 'labels', '000001.txt'))).toBe(await sha(join(a, 'labels', '000001.txt')));
  });

  it('refuses a bad split or count before starting Python', async () => {
    const split = await cli('dataset', 'render', '--split', 'test', '--count', '2', '--out', join(tmp, 'x'));
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/--split must be train or eval/);
    const count = await cli('dataset', 'render', '--split', 'eval', '--count', 'two', '--out', join(tmp, 'x'));
    expect(count.code).toBe(2);
    expect(count.stderr).toMatch(/--count must be an integer >= 1/);
  });
});

describe('riverwatch dataset import-coco', () => {
  it('converts COCO JSON to YOLO labels in pixels that match the COCO boxes, and refuses an unmapped category', async () => {
    const images = join(tmp, 'coco-images');
    await mkdir(images, { recursive: true });
    await sharp({ create: { width: 200, height: 100, channels: 3, background: '#335577' } }).jpeg().toFile(join(images, 'river1.jpg'));
    const json = join(tmp, 'instances.json');
    await writeFile(
      json,
      JSON.stringify({
        images: [{ id: 1, file_name: 'river1.jpg', width: 200, height: 100 }],
        categories: [{ id: 5, name: 'plastic bottle' }, { id: 6, name: 'boat' }],
        annotations: [
          { id: 1, image_id: 1, category_id: 5, bbox: [10, 20, 40, 40], iscrowd: 0 },
          { id: 2, image_id: 1, category_id: 6, bbox: [0, 0, 30, 10], iscrowd: 0 },
        ],
      }),
    );
    const out = join(tmp, 'coco-yolo');
    // A boat is neither debris nor mapped: refused (the kit names the category on stderr), nothing imported.
    expect((await cli('dataset', 'import-coco', json, images, out)).code).toBe(1);
    const res = await cli('dataset', 'import-coco', json, images, out, '--map', 'plastic bottle=bottle,boat=', '--copy');
    expect(res.code).toBe(0);
    const ds = await readYoloDataset(out);
    expect(ds.names[0]).toBe('bottle');
    const objects = ds.images[0]!.objects;
    expect(objects.map((o) => o.classId)).toEqual([0]);
    objects[0]!.box.forEach((v, i) => expect(v).toBeCloseTo([10, 20, 50, 60][i]!, 3));
  });

  it('needs INSTANCES.json, IMAGES and OUT', async () => {
    const res = await cli('dataset', 'import-coco', join(tmp, 'instances.json'), join(tmp, 'out'));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/expected INSTANCES.json, IMAGES and OUT/);
  });
});

describe('riverwatch dataset import-voc', () => {
  it('converts labelImg XML to YOLO labels in pixels that match the XML boxes', async () => {
    const src = join(tmp, 'voc');
    await mkdir(src, { recursive: true });
    await sharp({ create: { width: 200, height: 100, channels: 3, background: '#335577' } }).jpeg().toFile(join(src, 'river1.jpg'));
    const obj = (name: string, b: number[]) => `<object><name>${name}</name><bndbox><xmin>${b[0]}</xmin><ymin>${b[1]}</ymin><xmax>${b[2]}</xmax><ymax>${b[3]}</ymax></bndbox></object>`;
    await writeFile(
      join(src, 'river1.xml'),
      `<annotation><filename>river1.jpg</filename><size><width>200</width><height>100</height><depth>3</depth></size>${obj('bottle', [10, 20, 50, 60])}${obj('plastic_bottle', [100, 10, 120, 30])}${obj('boat', [0, 0, 10, 10])}</annotation>`,
    );
    const out = join(tmp, 'voc-yolo');
    const res = await cli('dataset', 'import-voc', src, out, '--map', 'plastic_bottle=bottle', '--copy');
    expect(res.code).toBe(0);
    const ds = await readYoloDataset(out);
    const objects = ds.images[0]!.objects;
    expect(objects.map((o) => o.classId)).toEqual([0, 0]); // the boat is not a debris class: skipped
    objects[0]!.box.forEach((v, i) => expect(v).toBeCloseTo([10, 20, 50, 60][i]!, 3));
    objects[1]!.box.forEach((v, i) => expect(v).toBeCloseTo([100, 10, 120, 30][i]!, 3));
  });

  it('needs both SRC and OUT', async () => {
    const res = await cli('dataset', 'import-voc', join(tmp, 'voc'));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/expected SRC and OUT/);
  });

  it('lists its subcommands and rejects unknown ones', async () => {
    const res = await cli('dataset', 'nope');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unknown subcommand "nope"/);
    expect(res.stderr).toMatch(/render .*\n/);
    expect(res.stderr).toMatch(/import-voc/);
    expect(res.stderr).toMatch(/import-coco/);
  });
});
