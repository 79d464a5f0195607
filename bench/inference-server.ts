/** Starts bench/inference-server-child.ts (the inference server as its own process, as in production). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface ServerChild {
  port: number;
  metricsPort: number;
  pid: number;
  stop(): Promise<void>;
}

const ROOT = new URL('../', import.meta.url).pathname;

export async function startInferenceServerChild(repository: string, opts: { threads: number; provider?: 'cpu' | 'cuda' }): Promise<ServerChild> {
  const provider = opts.provider ?? 'cpu';
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/inference-server-child.ts')], {
    env: {
      ...process.env,
      MODEL_REPOSITORY: repository,
      INFERENCE_PROVIDERS: provider,
      INFERENCE_ALLOW_CLIENT_SHM: 'true',
      // A CUDA benchmark that silently ran on CPU would be a lie: fail instead.
      INFERENCE_REQUIRE_GPU: String(provider === 'cuda'),
      BENCH_INTRA_OP_THREADS: String(opts.threads),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { grpcPort: port, metricsPort } = await new Promise<{ grpcPort: number; metricsPort: number }>((resolvePort, reject) => {
    let buf = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolvePort(JSON.parse(line) as { grpcPort: number; metricsPort: number });
    });
    proc.once('exit', (code) => reject(new Error(`inference server exited with ${code}`)));
  });
  return {
    port,
    metricsPort,
    pid: proc.pid!,
    stop: () =>
      new Promise<void>((done) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return done(); // exited already, by itself or by a signal
        proc.once('exit', () => done());
        proc.kill('SIGTERM');
      }),
  };
}
