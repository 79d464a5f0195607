import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** Vite's output (packages/dashboard, built by the bootstrap or `npm run build -w @riverwatch/dashboard`). */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../../../../packages/dashboard/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>riverwatch</title>
<p>The riverwatch dashboard has not been built. Run <code>npm run build -w @riverwatch/dashboard</code> (the bootstrap of <code>npm run demo</code> and <code>npm test</code> does it).</p>`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The operator dashboard: the built files, read once at start-up and served without a key (the
 * page asks for one and calls /v1 itself). Hashed assets are cached for good; the page is
 * revalidated so a new build is picked up. Pages are hash routes, so only `/` serves HTML.
 */
const dashboardRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const route = { config: { role: 'public' as const }, schema: { hide: true } };
  if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) {
    app.log.warn({ dir: DASHBOARD_DIST }, 'dashboard not built: / explains how to build it');
    app.get('/', route, async (_request, reply) => reply.status(503).type(TYPES['.html']!).header('cache-control', 'no-store').send(NOT_BUILT));
    return;
  }
  for (const file of filesUnder(DASHBOARD_DIST)) {
    const type = TYPES[extname(file)];
    if (!type) continue;
    const urlPath = '/' + relative(DASHBOARD_DIST, file).split(sep).join('/');
    const body = readFileSync(file);
    const caching = urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    app.get(urlPath === '/index.html' ? '/' : urlPath, route, async (_request, reply) => reply.type(type).header('cache-control', caching).send(body));
  }
};

export default dashboardRoutes;
