/**
 * Session thread for bench/inference-floor.ts's detector floor: runs the model on an input it
 * made itself (no tensor ever crosses a thread or a socket) and answers each message with the
 * run's compute time in ms. Started with startTsWorker; workerData.data = { modelPath, threads }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { floorSession } from './floor-session.ts';

const { modelPath, threads } = (workerData as { data: { modelPath: string; threads: number } }).data;
const run = await floorSession(modelPath, threads);
parentPort!.on('message', () => {
  void run().then((ms) => parentPort!.postMessage(ms));
});
parentPort!.postMessage('ready');
