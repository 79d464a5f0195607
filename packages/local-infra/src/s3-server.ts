import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { captureOutput, freePort, spawnOwned, stopChild, waitForPort } from './child-process.ts';
import type { LocalServer } from './redis-server.ts';

const require = createRequire(import.meta.url);

/**
 * The embedded S3-compatible server for one machine and tests (s3rver, from npm),
 * in its own process so its I/O never competes with the pipeline's event loop.
 */
export async function startEmbeddedS3(opts: { dataDir: string; port?: number }): Promise<LocalServer & { accessKey: string; secretKey: string }> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = opts.port || (await freePort());
  const bin = require.resolve('s3rver/bin/s3rver.js');
  const child = spawnOwned(process.execPath, [bin, '--directory', opts.dataDir, '--port', String(port), '--address', '127.0.0.1', '--silent']);
  const output = captureOutput(child);
  try {
    await waitForPort(port, 15_000, child, 's3rver');
  } catch (err) {
    await stopChild(child);
    throw new Error(`could not start the embedded S3 server: ${(err as Error).message}\n${output()}`);
  }
  // s3rver's fixed development credentials.
  return { url: `http://127.0.0.1:${port}`, accessKey: 'S3RVER', secretKey: 'S3RVER', stop: () => stopChild(child) };
}
