/**
 * Session thread for the detector floor (bench/floor-server-child.ts): runs the model on an input it
 * made itself (no tensor ever crosses a thread or a socket) and answers each message with the
 * run's compute time in ms. Started with startTsWorker; workerData.data = { modelPath, threads, provider }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { floorSession } from './floor-session.ts';

const { modelPath, threads, provider } = (workerData as { data: { modelPath: string; threads: number; provider?: 'cpu' | 'cuda' } }).data;
const run = await floorSession(modelPath, threads, provider);
parentPort!.on('message', () => {
  void run().then((ms) => parentPort!.postMessage(ms));
});
parentPort!.postMessage('ready');
