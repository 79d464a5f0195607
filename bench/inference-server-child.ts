/**
 * The inference server as its own process for the benchmark (as in production:
 * the worker calls a remote server). Prints {"grpcPort":N,"metricsPort":N,"floorPort":N} once
 * ready; SIGTERM stops it. With BENCH_FLOOR_MODEL (a model.onnx) the process also serves the
 * detector floor (bench/floor-server.ts, grpc-js) on floorPort, so that the floor row and the
 * served rows run in the same process.
 */
import { createLogger, loadConfig } from '@riverwatch/common';
import { startInferenceServer } from '@riverwatch/inference';
import { startFloorServer } from './floor-server.ts';

const config = loadConfig({ ...process.env, GRPC_PORT: '0', INFERENCE_METRICS_PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const logger = createLogger(config.logLevel, 'bench-inference');
const server = await startInferenceServer(
  { config, logger, redisUrl: '', s3Endpoint: '' },
  { pollIntervalMs: 0, intraOpThreads: Number(process.env.BENCH_INTRA_OP_THREADS ?? 0), host: '127.0.0.1' },
);
const floorModel = process.env.BENCH_FLOOR_MODEL;
const floorPort = floorModel
  ? await startFloorServer('grpc-js', floorModel, Number(process.env.BENCH_INTRA_OP_THREADS ?? 0), config.inference.providers[0])
  : undefined;
process.stdout.write(JSON.stringify({ grpcPort: server.grpcPort, metricsPort: server.metricsPort, floorPort }) + '\n');
process.once('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
