import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { repoRoot } from '../support/cli.ts';

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** One deliberate mistake: `from` must occur in the file, so a test can never break nothing. */
export interface Breakage {
  file: string;
  from: string | RegExp;
  to: string;
}

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'riverwatch-deploy-'));
  copies.push(root);
  return root;
}

/** A folder holding the given files (path → text), for renderer cases smaller than the real k8s/. */
export function writeTree(files: Record<string, string>): string {
  const root = tempRoot();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/**
 * A copy of the repository's deployment files (`paths`, relative to the repository) in a
 * temporary folder laid out like the repository, with the given mistakes made in it.
 */
export function brokenCopy(paths: string[], ...breakages: Breakage[]): string {
  const root = tempRoot();
  for (const p of paths) cpSync(join(repoRoot, p), join(root, p), { recursive: true });
  for (const b of breakages) {
    const file = join(root, b.file);
    const text = readFileSync(file, 'utf8');
    const broken = text.replace(b.from, b.to);
    if (broken === text) throw new Error(`${b.file}: ${String(b.from)} not found, so the copy would not be broken`);
    writeFileSync(file, broken);
  }
  return root;
}
