/**
 * The detector floor's server in a child process of its own (bench/floor-server.ts). Sends its port
 * to the parent (process.send).
 *
 *   floor-server-child.ts grpc-js|http2 MODEL_PATH THREADS [cpu|cuda]
 */
import { tuneGcForTensorTraffic } from '@riverwatch/inference-client';
import { startFloorServer } from './floor-server.ts';

const [kind, modelPath, threads, provider = 'cpu'] = process.argv.slice(2);
tuneGcForTensorTraffic();
process.send!(await startFloorServer(kind as 'grpc-js' | 'http2', modelPath!, Number(threads), provider));
