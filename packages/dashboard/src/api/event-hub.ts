import type { ApiClient } from './api-client.ts';
import { LiveEventStream, type StreamState } from './live-events.ts';
import type { LiveEvent } from './types.ts';

type Listener = (event: LiveEvent) => void;

/** One live-event stream per signed-in tab, shared by whichever page is open. */
export class EventHub {
  private readonly listeners = new Set<Listener>();
  private readonly stream: LiveEventStream;

  constructor(api: ApiClient, onState: (state: StreamState) => void) {
    this.stream = new LiveEventStream(api, (event) => this.listeners.forEach((l) => l(event)), onState);
  }

  start(): void {
    this.stream.start();
  }

  stop(): void {
    this.stream.stop();
    this.listeners.clear();
  }

  /** Listens until the returned function is called. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
