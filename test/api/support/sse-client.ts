import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** A minimal Server-Sent Events client over node:http, collecting what it receives. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  comments = 0;
  raw = '';
  private readonly ended: Promise<void>;
  private constructor(
    private readonly req: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    this.ended = new Promise((resolve) => response.once('close', () => resolve()));
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
      req.on('response', (res) => {
        const client = new SseClient(req, res);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          client.raw += chunk;
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            client.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        res.on('error', () => {});
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The body of a non-stream answer (an error), read to the end. */
  async text(): Promise<string> {
    await this.ended;
    return this.raw;
  }

  private parse(block: string): void {
    const msg: SseMessage = { id: undefined, event: undefined, data: '' };
    let hasData = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments++;
      else if (line.startsWith('id: ')) msg.id = line.slice(4);
      else if (line.startsWith('event: ')) msg.event = line.slice(7);
      else if (line.startsWith('data: ')) {
        msg.data += line.slice(6);
        hasData = true;
      }
    }
    if (hasData) this.messages.push(msg);
  }

  close(): void {
    this.req.destroy();
  }
}
