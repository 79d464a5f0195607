export interface ApiRoute {
  method: string;
  /** Fastify's path, with `:name` parameters. */
  path: string;
}

/**
 * Every route of a ready Fastify app, read from `printRoutes({ commonPrefix: false })`
 * (hidden routes included, which the OpenAPI spec leaves out), so a route added
 * later is fuzzed without touching the tests. HEAD and OPTIONS are left out: they
 * follow their GET.
 */
export function listRoutes(printed: string): ApiRoute[] {
  const routes: ApiRoute[] = [];
  const stack: string[] = [];
  for (const line of printed.split('\n')) {
    const m = /^([\s│]*)[├└]── (\S*)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    if (!m[3]) continue;
    const path = stack.join('').replace(/\/+/g, '/');
    for (const method of m[3].split(',').map((s) => s.trim())) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, path });
    }
  }
  return routes;
}
