import { mkdirSync } from 'node:fs';
import { captureOutput, freePort, spawnOwned, stopChild, waitForPort } from './child-process.ts';

export interface LocalServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A redis-server configured as BullMQ's production guide asks:
 * AOF (everysec) for durability, noeviction so queue keys are never dropped.
 */
export async function startLocalRedis(opts: { dataDir: string; port?: number }): Promise<LocalServer> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = opts.port || (await freePort());
  const child = spawnOwned('redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', opts.dataDir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--save', '',
    '--protected-mode', 'yes',
  ]);
  const output = captureOutput(child);
  child.once('error', () => {});
  try {
    await waitForPort(port, 10_000, child, 'redis-server');
  } catch (err) {
    await stopChild(child);
    const e = err as NodeJS.ErrnoException;
    throw new Error(`could not start redis-server (is it installed? apt-get install redis-server): ${e.message}\n${output()}`);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child) };
}
