import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createLogger, loadConfig, type Logger } from '@riverwatch/common';
import { InferenceClient } from '@riverwatch/inference-client';
import { startInferenceServer, type InferenceServerOptions, type RunningInference } from '@riverwatch/inference';

export const FIXTURE_MODELS = new URL('../fixtures/models/', import.meta.url).pathname;

/** A model directory in `repository` named `name`: the version folder of the model at `from`, and `config` as its config.json. */
export function addModel(repository: string, name: string, from: string, config: object): void {
  mkdirSync(join(repository, name), { recursive: true });
  cpSync(join(from, '1'), join(repository, name, '1'), { recursive: true });
  writeFileSync(join(repository, name, 'config.json'), JSON.stringify({ ...config, name }));
}

export interface InferenceHarness {
  server: RunningInference;
  client: InferenceClient;
  target: string;
  repository: string;
  stop(): Promise<void>;
}

/**
 * A real inference server on port 0 over a copy of the fixture repository
 * (so tests may change files), and a real client pointed at it.
 */
export async function startHarness(
  opts: InferenceServerOptions & { env?: Record<string, string>; models?: string[]; logger?: Logger; prepare?: (repository: string) => void; s3Endpoint?: string } = {},
): Promise<InferenceHarness> {
  const repository = mkdtempSync(join(tmpdir(), 'rw-models-'));
  for (const m of opts.models ?? ['tiny-detector', 'tiny-detector-fp16', 'no-batch', 'int-inputs', 'slow']) {
    cpSync(join(FIXTURE_MODELS, m), join(repository, m), { recursive: true });
  }
  opts.prepare?.(repository);
  const config = loadConfig({
    MODEL_REPOSITORY: repository,
    GRPC_PORT: '0',
    INFERENCE_METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  });
  const logger = opts.logger ?? createLogger(config.logLevel, 'inference-test');
  const server = await startInferenceServer(
    { config, logger, redisUrl: '', s3Endpoint: opts.s3Endpoint ?? '' },
    { pollIntervalMs: 0, intraOpThreads: 1, host: '127.0.0.1', ...opts },
  ).catch((err: unknown) => {
    rmSync(repository, { recursive: true, force: true });
    throw err;
  });
  const target = `127.0.0.1:${server.grpcPort}`;
  const client = new InferenceClient([target], { deadlineMs: 20_000 });
  return {
    server,
    client,
    target,
    repository,
    async stop() {
      client.close();
      await server.stop();
      rmSync(repository, { recursive: true, force: true });
    },
  };
}

export function fp32(values: number[] | Float32Array): Buffer {
  const a = Float32Array.from(values);
  return Buffer.from(a.buffer);
}

export function readFp32(data: Buffer): number[] {
  return Array.from(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
}

/** Reads the Prometheus text of the metrics port. */
export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

/** The value of one series in Prometheus text, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const labelPart = line.slice(name.length, line.lastIndexOf(' '));
    if (want.every((w) => labelPart.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** IEEE half -> number (tests read FP16 outputs with it). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** A detector input of n images filled with `value` (or a per-image value). */
export function images(n: number, value: number | ((i: number) => number) = 0.5): Buffer {
  const per = 3 * 32 * 32;
  const a = new Float32Array(n * per);
  for (let i = 0; i < n; i++) a.fill(typeof value === 'number' ? value : value(i), i * per, (i + 1) * per);
  return Buffer.from(a.buffer);
}

/** A pino logger whose JSON lines the test can read. */
export function capturingLogger() {
  const lines: { level: number; msg: string; model?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string; model?: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const PROTO = new URL('../../proto/grpc_service.proto', import.meta.url).pathname;

/** A client built only from proto/grpc_service.proto, as a stock KServe/Triton client would be. */
export function stockClient(target: string, loader: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true }) {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, loader)) as unknown as {
    inference: { GRPCInferenceService: new (t: string, c: grpc.ChannelCredentials) => grpc.Client & Record<string, Function> };
  };
  const client = new pkg.inference.GRPCInferenceService(target, grpc.credentials.createInsecure());
  const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](req, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
    );
  /** The error a call must fail with. */
  const failure = (method: string, req: unknown) =>
    call(method, req).then(
      () => {
        throw new Error(`${method} succeeded`);
      },
      (e: grpc.ServiceError) => e,
    );
  return { client, call, failure };
}
