/**
 * The inference server as its own process for the benchmark (as in production:
 * the worker calls a remote server). Prints {"grpcPort":N} once ready; SIGTERM stops it.
 */
import { createLogger, loadConfig } from '@riverwatch/common';
import { startInferenceServer } from '@riverwatch/inference';

const config = loadConfig({ ...process.env, GRPC_PORT: '0', INFERENCE_METRICS_PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const logger = createLogger(config.logLevel, 'bench-inference');
const server = await startInferenceServer(
  { config, logger, redisUrl: '', s3Endpoint: '' },
  { pollIntervalMs: 0, intraOpThreads: Number(process.env.BENCH_INTRA_OP_THREADS ?? 0), host: '127.0.0.1' },
);
process.stdout.write(JSON.stringify({ grpcPort: server.grpcPort, metricsPort: server.metricsPort }) + '\n');
process.once('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
