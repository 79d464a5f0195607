import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const publicDir = new URL('../../dashboard/public/', import.meta.url);
const FILES: Record<string, string> = {
  '/': 'index.html',
  '/dashboard.js': 'dashboard.js',
  '/dashboard.css': 'dashboard.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** The operator dashboard: three static files, read once; the page asks for an API key and calls /v1 itself. */
const dashboardRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const [path, file] of Object.entries(FILES)) {
    const body = readFileSync(new URL(file, publicDir));
    const type = TYPES[file.split('.').pop()!]!;
    app.get(path, { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
  }
};

export default dashboardRoutes;
