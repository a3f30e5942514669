import { describe, expect, it } from 'vitest';
import { reportError } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { createCli } from '../../cli/run.js';
import { MigrationFailedError } from '../../src/db/migrate.js';
import { DatabaseConfigError } from '../../src/db/target.js';
import { captureContext, cli } from './helpers.js';

function report(error: unknown): { code: number; stderr: string } {
  const captured = captureContext();
  const code = reportError(error, captured.context.stderr);
  expect(captured.stdout()).toBe('');
  return { code, stderr: captured.stderr() };
}

describe('reportError', () => {
  it('treats a bad database configuration as invalid input', () => {
    expect(report(new DatabaseConfigError('DATABASE_URL must be a postgresql:// URL'))).toEqual({
      code: ExitCode.InvalidInput,
      stderr: 'error: DATABASE_URL must be a postgresql:// URL\n',
    });
  });

  it('reports operational failures as one line, exit 1', () => {
    expect(report(new MigrationFailedError('20990101000000_x', 'boom')).stderr).toMatch(
      /^error: migration 20990101000000_x failed: boom\. [^\n]*\n$/,
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(report(refused)).toEqual({ code: ExitCode.Unexpected, stderr: 'error: connect ECONNREFUSED 127.0.0.1:1\n' });
    const empty = Object.assign(new AggregateError([]), { code: 'ECONNREFUSED' });
    expect(report(empty)).toEqual({ code: ExitCode.Unexpected, stderr: 'error: ECONNREFUSED\n' });
  });

  it('adds the stack for errors that look like bugs', () => {
    const { code, stderr } = report(new TypeError('cannot read properties of undefined'));
    expect(code).toBe(ExitCode.Unexpected);
    expect(stderr).toMatch(/^error: cannot read properties of undefined\nTypeError: cannot read properties of undefined\n {4}at /);
  });

  it('reports a thrown non-Error value', () => {
    expect(report('just a string')).toEqual({ code: ExitCode.Unexpected, stderr: 'error: just a string\n' });
  });
});

describe('which commands a command line registers', () => {
  it('only the one it names, so parsing compiles no other command options; all of them otherwise', async () => {
    const paths = (argv?: string[]) => createCli(argv).definitions().map((definition) => definition.path);
    expect(paths(['registry', 'get', 'yaml-lint', '--offline'])).toEqual(['omnibase registry get']);
    expect(paths(['registry', 'cache', 'stats'])).toEqual(['omnibase registry cache stats']);
    expect(paths(['registry'])).toHaveLength(paths().length);
    expect(paths(['--version'])).toHaveLength(paths().length);
    // A typo still gets clipanion's suggestions among every command.
    const typo = await cli('registry', 'gte', 'yaml-lint');
    expect(typo.code).toBe(ExitCode.InvalidInput);
    expect(typo.stderr).toContain('Command not found; did you mean one of:');
    expect(typo.stderr).toContain('omnibase registry get');
  });
});
