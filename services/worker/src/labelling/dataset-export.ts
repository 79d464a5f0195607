import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvidenceStore, Redis, RedisKeys } from '@riverwatch/common';

/**
 * Writes the review frames captured between two times as a YOLO dataset
 * (images/, labels/, data.yaml) that the training kit can fine-tune on.
 */
export async function exportReviewDataset(opts: {
  redis: Redis;
  keys: RedisKeys;
  store: EvidenceStore;
  from: number;
  to: number;
  outDir: string;
  classes: string[];
}): Promise<{ images: number }> {
  const bases = await opts.redis.zrangebyscore(opts.keys.reviewIndex(), opts.from, opts.to);
  await mkdir(join(opts.outDir, 'images'), { recursive: true });
  await mkdir(join(opts.outDir, 'labels'), { recursive: true });
  let images = 0;
  for (const base of bases) {
    // Keys are "<cameraId>/<frameId>", both ids we generated; flatten to one file name.
    const name = base.replace(/[^a-zA-Z0-9_-]/g, '_');
    const [image, labels] = await Promise.all([opts.store.get('review', `${base}.jpg`), opts.store.get('review', `${base}.txt`).catch(() => Buffer.alloc(0))]);
    await writeFile(join(opts.outDir, 'images', `${name}.jpg`), image);
    await writeFile(join(opts.outDir, 'labels', `${name}.txt`), labels);
    images++;
  }
  const yaml = [`path: ${opts.outDir}`, 'train: images', 'val: images', `nc: ${opts.classes.length}`, `names: [${opts.classes.map((c) => JSON.stringify(c)).join(', ')}]`, ''].join('\n');
  await writeFile(join(opts.outDir, 'data.yaml'), yaml);
  return { images };
}
