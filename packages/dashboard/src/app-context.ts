import type { ApiClient } from './api/api-client.ts';
import type { EventHub } from './api/event-hub.ts';
import type { Session } from './api/types.ts';

/** What every page gets: the API with the key, who the key is, and the live events. */
export interface AppContext {
  api: ApiClient;
  session: Session;
  events: EventHub;
  /** Operators and admins change things; viewers only look (the API refuses them anyway). */
  canWrite: boolean;
}

/** A mounted page: its element, and what to stop (timers, listeners) when the operator leaves it. */
export interface Page {
  element: HTMLElement;
  dispose(): void;
}
