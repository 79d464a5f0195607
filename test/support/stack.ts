import type { Stack } from '@riverwatch/cli';

function service(stack: Stack, name: string) {
  const found = stack.services.find((s) => s.name === name);
  if (!found) throw new Error(`no ${name} service in this stack`);
  return found;
}

/** http://127.0.0.1:<port> of the stack's API. */
export function apiBase(stack: Stack): string {
  return `http://127.0.0.1:${service(stack, 'api').port}`;
}

/** The port of the stack's worker's /metrics. */
export function workerMetricsPort(stack: Stack): number {
  return (service(stack, 'worker') as unknown as { metricsPort: number }).metricsPort;
}
