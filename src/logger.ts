import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout; OMNIBASE_LOG_LEVEL picks the level (silent, error, warn, info, debug), and
 * OMNIBASE_LOG_FORMAT=pretty prints them for people instead, through pino-pretty (a development dependency).
 */
export function createLogger(level = process.env.OMNIBASE_LOG_LEVEL ?? 'info', format = process.env.OMNIBASE_LOG_FORMAT): Logger {
  return pino({
    level,
    base: { service: 'omnibase-registry' },
    redact: { paths: ['authorization', '*.authorization', 'token', '*.token'], censor: '[redacted]' },
    ...(format === 'pretty' ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
