import './styles.css';
import { ApiClient, ApiError } from './api/api-client.ts';
import { EventHub } from './api/event-hub.ts';
import type { StreamState } from './api/live-events.ts';
import type { Session } from './api/types.ts';
import type { AppContext, Page } from './app-context.ts';
import { alertsPage } from './pages/alerts-page.ts';
import { cameraPage } from './pages/camera-page.ts';
import { cameraWall } from './pages/camera-wall.ts';
import { detectPage } from './pages/detect-page.ts';
import { signInPage } from './pages/sign-in.ts';
import { href, parseRoute, type Route } from './router.ts';
import { forgetKey, storedKey, storeKey } from './session-store.ts';
import { button, h } from './ui/dom.ts';

const root = document.querySelector<HTMLElement>('#app')!;
let context: AppContext | null = null;
let page: Page | null = null;

function signOut(): void {
  forgetKey();
  context?.events.stop();
  context = null;
  page?.dispose();
  page = null;
  showSignIn();
}

function showSignIn(): void {
  root.replaceChildren(h('main', { className: 'sign-in-page' }, signInPage(signIn)));
}

/** Checks the key with the API; on success the app starts. Resolves to an error message otherwise. */
async function signIn(key: string): Promise<string | null> {
  if (!key) return 'Enter an API key.';
  const api = new ApiClient(key, () => context && signOut());
  let session: Session;
  try {
    session = await api.json<Session>('/v1/session');
  } catch (err) {
    return err instanceof ApiError && err.status === 401 ? 'The API does not know this key.' : `Could not sign in: ${(err as Error).message}`;
  }
  storeKey(key);
  startApp(api, session);
  return null;
}

function startApp(api: ApiClient, session: Session): void {
  const live = h('span', { className: 'live', id: 'live', textContent: '○ connecting' });
  const events = new EventHub(api, (state: StreamState) => {
    live.textContent = state === 'live' ? '● live' : state === 'connecting' ? '○ connecting' : '○ reconnecting';
    live.className = `live ${state}`;
  });
  context = { api, session, events, canWrite: session.role !== 'viewer' };
  const links: [Route['name'], string][] = [
    ['wall', 'Cameras'],
    ['alerts', 'Alerts'],
    ['detect', 'Detect'],
  ];
  const nav = h('nav', {}, ...links.map(([name, label]) => h('a', { href: href({ name } as Route), textContent: label, dataset: { route: name } })));
  const header = h(
    'header',
    { className: 'top' },
    h('a', { className: 'brand', href: '#/', textContent: 'riverwatch' }),
    nav,
    live,
    h('span', { className: 'who', id: 'who', textContent: `${session.name} · ${session.role}` }),
    button('Sign out', signOut, { className: 'secondary', id: 'sign-out' }),
  );
  const main = h('main', { id: 'page' });
  root.replaceChildren(header, main, h('div', { id: 'status-bar', role: 'status' }));
  events.start();
  route(main, nav);
  window.onhashchange = () => route(main, nav);
}

function route(main: HTMLElement, nav: HTMLElement): void {
  if (!context) return;
  const r = parseRoute(location.hash);
  page?.dispose();
  page = r.name === 'camera' ? cameraPage(context, r.id) : r.name === 'alerts' ? alertsPage(context) : r.name === 'detect' ? detectPage(context) : cameraWall(context);
  main.replaceChildren(page.element);
  for (const a of nav.querySelectorAll<HTMLAnchorElement>('a')) a.classList.toggle('active', a.dataset.route === (r.name === 'camera' ? 'wall' : r.name));
}

const saved = storedKey();
if (saved) {
  void signIn(saved).then((problem) => {
    if (problem) {
      forgetKey();
      showSignIn();
    }
  });
} else {
  showSignIn();
}
