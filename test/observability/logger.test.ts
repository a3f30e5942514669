import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

describe('createLogger', () => {
  it('takes its level from the argument and writes JSON unless asked to be pretty', () => {
    const logger = createLogger('warn', undefined);
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
  });

  it('prints for people through pino-pretty when the format is pretty', () => {
    const logger = createLogger('debug', 'pretty');
    expect(logger.isLevelEnabled('debug')).toBe(true);
    logger.flush();
  });
});
