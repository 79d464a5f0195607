import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { parse as parseYaml } from 'yaml';
import { InvalidInputError } from '@riverwatch/common';

export interface LabelledObject {
  classId: number;
  /** x1, y1, x2, y2 in image pixels. */
  box: [number, number, number, number];
}

export interface DatasetImage {
  /** File name without extension; the key predictions use. */
  id: string;
  path: string;
  width: number;
  height: number;
  objects: LabelledObject[];
  /** masks/<id>.png when the dataset has one. */
  maskPath?: string;
}

export interface YoloDataset {
  root: string;
  names: string[];
  images: DatasetImage[];
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.bmp']);

/** data.yaml's `names` as a list (YOLOv5 writes a list or an {index: name} map). */
export function parseDataYaml(text: string): { names: string[] } & Record<string, unknown> {
  const y = parseYaml(text) as Record<string, unknown> | null;
  const raw = y?.names;
  let names: string[];
  if (Array.isArray(raw)) names = raw.map(String);
  else if (raw && typeof raw === 'object') {
    names = Object.entries(raw as Record<string, unknown>)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, v]) => String(v));
  } else throw new InvalidInputError('data.yaml has no `names` (a list of class names)');
  return { ...(y ?? {}), names };
}

/**
 * YOLO label text to pixel boxes, with the training kit's rule
 * x1 = (cx - w/2) * W etc.; lines with fewer than 5 fields are skipped.
 */
export function parseYoloLabels(text: string, width: number, height: number): LabelledObject[] {
  const out: LabelledObject[] = [];
  for (const line of text.split('\n')) {
    const p = line.trim().split(/\s+/);
    if (p.length < 5) continue;
    const [c, cx, cy, w, h] = [parseInt(p[0]!, 10), ...p.slice(1, 5).map(Number)] as [number, number, number, number, number];
    if (!Number.isFinite(c) || [cx, cy, w, h].some((v) => !Number.isFinite(v))) throw new InvalidInputError(`bad YOLO label line: "${line.trim()}"`);
    out.push({ classId: c, box: [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height] });
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Reads a dataset in the YOLO layout: images/, labels/, optional masks/, data.yaml. Images sorted by file name. */
export async function readYoloDataset(root: string, opts: { names?: string[] } = {}): Promise<YoloDataset> {
  const imagesDir = join(root, 'images');
  let files: string[];
  try {
    files = (await readdir(imagesDir)).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
  } catch {
    throw new InvalidInputError(`${root} is not a YOLO dataset: no images/ folder`);
  }
  let names = opts.names;
  if (!names) {
    const yamlPath = join(root, 'data.yaml');
    if (!(await exists(yamlPath))) throw new InvalidInputError(`${root} has no data.yaml (class names); pass names explicitly`);
    names = parseDataYaml(await readFile(yamlPath, 'utf8')).names;
  }
  const images = await Promise.all(
    files.map(async (file): Promise<DatasetImage> => {
      const id = basename(file, extname(file));
      const path = join(imagesDir, file);
      const meta = await sharp(path).metadata();
      if (!meta.width || !meta.height) throw new InvalidInputError(`${path}: cannot read image size`);
      const labelText = await readFile(join(root, 'labels', `${id}.txt`), 'utf8').catch(() => '');
      const maskPath = join(root, 'masks', `${id}.png`);
      return { id, path, width: meta.width, height: meta.height, objects: parseYoloLabels(labelText, meta.width, meta.height), maskPath: (await exists(maskPath)) ? maskPath : undefined };
    }),
  );
  return { root, names, images };
}
