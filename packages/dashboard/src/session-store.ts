// The key lives in sessionStorage: gone when the tab closes, never in a URL, a cookie or a log.
const STORAGE_KEY = 'riverwatch.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
