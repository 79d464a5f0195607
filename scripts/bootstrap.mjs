#!/usr/bin/env node
// First step of `npm run demo` and `npm test` on a fresh machine: make sure the
// Debian packages and npm dependencies are there. Plain Node, no dependencies.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const purpose = process.argv[2] === 'test' ? 'test' : 'demo';

// What each command needs from Debian: [package, how we check it is there].
const demoPackages = [
  ['redis-server', () => has('redis-server')],
  ['ffmpeg', () => has('ffmpeg')],
];
const testPackages = [
  ...demoPackages,
  ['python3-gi', () => pyImports('gi')],
  ['gir1.2-gst-rtsp-server-1.0', () => pyImports("gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer")],
  ['gstreamer1.0-plugins-base', () => existsSync('/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstapp.so') || dpkgHas('gstreamer1.0-plugins-base')],
  ['gstreamer1.0-plugins-good', () => dpkgHas('gstreamer1.0-plugins-good')],
  ['gstreamer1.0-plugins-bad', () => dpkgHas('gstreamer1.0-plugins-bad')],
  ['gstreamer1.0-plugins-ugly', () => dpkgHas('gstreamer1.0-plugins-ugly')],
  ['gstreamer1.0-libav', () => dpkgHas('gstreamer1.0-libav')],
  ['python3-numpy', () => pyImports('numpy')],
  ['python3-opencv', () => pyImports('cv2')],
  ['python3-torch', () => pyImports('torch')],
  ['python3-onnx', () => pyImports('onnx')],
  ['python3-yaml', () => pyImports('yaml')],
  ['chromium', () => has('chromium')],
];

function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}
function dpkgHas(pkg) {
  return spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed') ?? false;
}
// Debian's Python modules load in Debian's interpreter, not whatever python3 is first on PATH.
function pyImports(stmt) {
  return existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', `import ${stmt}`], { stdio: 'ignore' }).status === 0;
}

const wanted = purpose === 'test' ? testPackages : demoPackages;
const missing = wanted.filter(([, check]) => !check()).map(([pkg]) => pkg);
if (missing.length) {
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    console.error(`riverwatch needs these Debian packages for \`npm run ${purpose}\`. Install them with:\n\n  sudo apt-get update && sudo ${line}\n`);
    process.exit(1);
  }
  console.error(`[bootstrap] installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('sh', ['-c', line], { stdio: 'inherit', env });
}

// npm ci when node_modules is missing or older than the lockfile.
const lock = 'package-lock.json';
const marker = 'node_modules/.package-lock.json';
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.error('[bootstrap] installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
}
const { engines } = JSON.parse(readFileSync('package.json', 'utf8'));
const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.error(`riverwatch needs Node ${engines.node}; this is ${process.version}`);
  process.exit(1);
}

// The dashboard's built files (packages/dashboard/dist, not committed): built when missing or
// older than any of its sources, so a fresh clone and an edited dashboard both get served.
function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}
const dashboard = 'packages/dashboard';
const builtPage = join(dashboard, 'dist', 'index.html');
const dashboardSources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(dashboard, p));
if (!existsSync(builtPage) || statSync(builtPage).mtimeMs < Math.max(statSync(lock).mtimeMs, ...dashboardSources.map(newestMtime))) {
  console.error('[bootstrap] building the dashboard (vite build)');
  execFileSync('npm', ['run', '-s', 'build', '-w', '@riverwatch/dashboard'], { stdio: 'inherit' });
}
