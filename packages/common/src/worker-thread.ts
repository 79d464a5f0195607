import { Worker, type WorkerOptions } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url);

/** Starts a worker_thread running a TypeScript module (through tsx's loader). */
export function startTsWorker(entry: string | URL, options: Omit<WorkerOptions, 'workerData'> & { data?: unknown } = {}): Worker {
  const href = entry instanceof URL ? entry.href : pathToFileURL(entry).href;
  const { data, ...rest } = options;
  return new Worker(bootstrap, { ...rest, workerData: { entry: href, data } });
}
