// worker_threads entry: registers tsx so a TypeScript module can be a worker, then loads it.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
