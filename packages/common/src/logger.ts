import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * pino JSON logs; pretty only when a human is watching a TTY. Every line carries
 * `app: "riverwatch"`; `service` is bound once, by the caller that knows it
 * (`runStack` gives each service a child logger), so no line repeats the key.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', service?: string): Logger {
  const pretty = process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
  return pino({
    level,
    base: { app: 'riverwatch', ...(service ? { service } : {}) },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
