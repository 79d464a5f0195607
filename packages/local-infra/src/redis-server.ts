import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { captureOutput, freePort, spawnOwned, stopChild, waitForPort } from './child-process.ts';

export interface LocalServer {
  url: string;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * A redis-server configured as BullMQ's production guide asks:
 * AOF (everysec) for durability, noeviction so queue keys are never dropped.
 */
export async function startLocalRedis(opts: { dataDir: string; port?: number }): Promise<LocalServer> {
  const port = opts.port || (await freePort());
  return { url: `redis://127.0.0.1:${port}`, stop: await startRedisProcess(port, opts.dataDir) };
}

/**
 * A Redis Cluster of `masters` (default 3) local redis-servers, slots spread by
 * `redis-cli --cluster create`, configured as startLocalRedis. Its URL is riverwatch's
 * `redis-cluster://host:port,host:port,...` form (see createRedis).
 */
export async function startLocalRedisCluster(opts: { dataDir: string; masters?: number }): Promise<LocalServer> {
  const ports: number[] = [];
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => void (await Promise.all(stops.map((s) => s())));
  try {
    for (let i = 0; i < (opts.masters ?? 3); i++) {
      const port = await freePort();
      ports.push(port);
      const dir = join(opts.dataDir, String(port));
      stops.push(await startRedisProcess(port, dir, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '5000']));
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    // Slots are assigned at once, but each node reports ok only after it has heard of the others.
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      while (!/cluster_state:ok/.test((await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout)) {
        if (Date.now() > deadline) throw new Error(`redis cluster node ${port} never reported cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { url: `redis-cluster://${nodes.join(',')}`, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function startRedisProcess(port: number, dataDir: string, extra: string[] = []): Promise<() => Promise<void>> {
  mkdirSync(dataDir, { recursive: true });
  const child = spawnOwned('redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dataDir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--save', '',
    '--protected-mode', 'yes',
    ...extra,
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
  return () => stopChild(child);
}
