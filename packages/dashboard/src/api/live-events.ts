import type { ApiClient } from './api-client.ts';
import { SseParser } from './sse-parser.ts';
import type { LiveEvent } from './types.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/**
 * GET /v1/events read with fetch rather than EventSource, so the key goes in the Authorization
 * header and never in the URL. Reconnects after a drop and resumes with Last-Event-ID, as
 * EventSource would.
 */
export class LiveEventStream {
  private controller: AbortController | null = null;
  private lastEventId: string | null = null;
  private stopped = false;

  constructor(
    private readonly api: ApiClient,
    private readonly onEvent: (event: LiveEvent) => void,
    private readonly onState: (state: StreamState) => void,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  private async run(): Promise<void> {
    let retryMs = 3000;
    this.onState('connecting');
    while (!this.stopped) {
      this.controller = new AbortController();
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
        const res = await this.api.request('/v1/events', { headers, signal: this.controller.signal });
        if (!res.body) throw new Error('the event stream has no body');
        this.onState('live');
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            if (message.id) this.lastEventId = message.id;
            this.deliver(message.data);
          }
          retryMs = parser.retryMs ?? retryMs;
        }
      } catch {
        // dropped or refused: retried below
      }
      if (this.stopped) return;
      this.onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }

  private deliver(data: string): void {
    try {
      this.onEvent(JSON.parse(data) as LiveEvent);
    } catch (err) {
      console.warn('live event not understood', err);
    }
  }
}
