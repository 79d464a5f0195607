import { parseArgs } from 'node:util';
import type { CliCommand } from '../main.ts';
import { parseServices, runStack } from '../stack.ts';
import { waitForSignal } from '../signals.ts';

const usage = `usage: riverwatch start [--services all|api,worker,ingest,inference] [options]

  --services LIST         services to run in this process (default: all)
  --data-dir DIR          where the local redis-server and S3 server keep data (DATA_DIR, default ./data)
  --port N                API port (PORT, default 8080)
  --grpc-port N           inference gRPC port (GRPC_PORT, default 8001)
  --model-repository DIR  model repository (MODEL_REPOSITORY, default ./models)
  --redis-url URL         use this Redis instead of a local one (REDIS_URL)
  --s3-endpoint URL       use this S3 server instead of the embedded one (S3_ENDPOINT)
  --inference-targets L   inference servers the worker calls (INFERENCE_TARGETS)

Every option can also be set through the environment variable in brackets.`;

const flagToEnv: Record<string, string> = {
  'data-dir': 'DATA_DIR',
  port: 'PORT',
  'grpc-port': 'GRPC_PORT',
  'model-repository': 'MODEL_REPOSITORY',
  'redis-url': 'REDIS_URL',
  's3-endpoint': 'S3_ENDPOINT',
  'inference-targets': 'INFERENCE_TARGETS',
};

export const command: CliCommand = {
  name: 'start',
  summary: 'run riverwatch services in this process',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        services: { type: 'string', default: 'all' },
        ...Object.fromEntries(Object.keys(flagToEnv).map((k) => [k, { type: 'string' as const }])),
      },
      strict: true,
    });
    const env: Record<string, string | undefined> = { ...process.env };
    for (const [flag, name] of Object.entries(flagToEnv)) {
      const v = (values as Record<string, string | undefined>)[flag];
      if (v !== undefined) env[name] = v;
    }
    const services = parseServices(values.services ?? 'all');
    const stack = await runStack({ services, env });

    if (services.includes('api')) {
      const shownPort = stack.services.find((s) => s.name === 'api')?.port ?? stack.config.api.port;
      console.log(`\nriverwatch is running\n  API:       http://localhost:${shownPort}/v1\n  Dashboard: http://localhost:${shownPort}/\n  Admin key: ${stack.adminKey}\n`);
    }

    await waitForSignal();
    await stack.stop();
    return 0;
  },
};
