#!/usr/bin/env node
// Fails when TypeScript modules import each other in a cycle (as BullMQ checks before its tests).
// Follows relative imports and @riverwatch/* workspace imports.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const roots = ['packages', 'services'].flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p)));
const workspace = new Map();
for (const dir of roots) {
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  const entry = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.['.'];
  if (entry) workspace.set(pkg.name, join(dir, entry));
}

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules' || f === 'generated') return [];
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const importRe = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g;
function deps(file) {
  const src = readFileSync(file, 'utf8');
  const out = [];
  for (const m of src.matchAll(importRe)) {
    const spec = m[1];
    if (spec.startsWith('.')) out.push(resolve(dirname(file), spec));
    else if (workspace.has(spec)) out.push(workspace.get(spec));
  }
  return out.filter((p) => existsSync(p));
}

const graph = new Map();
for (const dir of roots) if (existsSync(join(dir, 'src'))) for (const f of files(join(dir, 'src'))) graph.set(f, deps(f));

const state = new Map(); // 1 = on stack, 2 = done
const cycles = [];
function visit(node, stack) {
  state.set(node, 1);
  stack.push(node);
  for (const next of graph.get(node) ?? []) {
    if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (!state.has(next)) visit(next, stack);
  }
  stack.pop();
  state.set(node, 2);
}
for (const node of graph.keys()) if (!state.has(node)) visit(node, []);

if (cycles.length) {
  console.error(`circular imports (${cycles.length}):`);
  for (const c of cycles) console.error('  ' + c.map((p) => relative(root, p)).join(' -> '));
  process.exit(1);
}
console.log(`no circular imports in ${graph.size} modules`);
