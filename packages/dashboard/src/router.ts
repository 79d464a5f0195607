export type Route =
  | { name: 'wall' }
  | { name: 'alerts' }
  | { name: 'camera'; id: string }
  | { name: 'detect' };

/** Hash routes (#/alerts, #/cameras/<id>): the API serves one page, and no id or key is ever sent as a path. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const camera = path.match(/^\/cameras\/([A-Za-z0-9_-]{1,64})$/);
  if (camera) return { name: 'camera', id: camera[1]! };
  if (path === '/alerts') return { name: 'alerts' };
  if (path === '/detect') return { name: 'detect' };
  return { name: 'wall' };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'wall':
      return '#/';
    case 'alerts':
      return '#/alerts';
    case 'detect':
      return '#/detect';
    case 'camera':
      return `#/cameras/${route.id}`;
  }
}
