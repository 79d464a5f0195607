import { pino, type Logger } from 'pino';

export type { Logger };

/** pino JSON logs; pretty only when a human is watching a TTY. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', service = 'riverwatch'): Logger {
  const pretty = process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
  return pino({
    level,
    base: { service },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
