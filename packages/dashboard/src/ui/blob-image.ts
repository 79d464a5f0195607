import type { ApiClient } from '../api/api-client.ts';

/**
 * An <img> whose picture is fetched with the key (an <img src> could not send the header) and
 * shown from a blob: URL, released when replaced.
 */
export async function loadInto(img: HTMLImageElement, api: ApiClient, path: string): Promise<void> {
  const url = URL.createObjectURL(await api.blob(path));
  const old = img.src;
  img.src = url;
  if (old.startsWith('blob:')) URL.revokeObjectURL(old);
  await img.decode().catch(() => undefined);
}
