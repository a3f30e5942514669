import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; OMNIBASE_LOG_LEVEL picks the level (silent, error, warn, info, debug). */
export function createLogger(level = process.env.OMNIBASE_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'omnibase-registry' },
    redact: { paths: ['authorization', '*.authorization', 'token', '*.token'], censor: '[redacted]' },
  });
}
