/** An HTTP error from the API, with the message the API gave. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Every call to /v1 goes through here: the key travels only in the Authorization header,
 * never in a URL (URLs end up in logs, history and Referer headers).
 */
export class ApiClient {
  constructor(
    private readonly key: string,
    private readonly onUnauthorized: () => void,
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.key}`);
    const res = await fetch(path, { ...init, headers, cache: 'no-store' });
    if (res.ok) return res;
    let message = res.statusText;
    try {
      message = ((await res.json()) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the status text
    }
    if (res.status === 401) this.onUnauthorized();
    throw new ApiError(res.status, message);
  }

  async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await this.request(path, init)).json() as Promise<T>;
  }

  /** A JSON body (or none) with the given method; the response's JSON, or null for 204. */
  async send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T | null> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await this.request(path, init);
    return res.status === 204 ? null : ((await res.json()) as T);
  }

  async blob(path: string): Promise<Blob> {
    return (await this.request(path)).blob();
  }

  /** An image fetched with the key, decoded for drawing on a canvas. */
  async bitmap(path: string): Promise<ImageBitmap> {
    return createImageBitmap(await this.blob(path));
  }
}
