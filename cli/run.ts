import { readFileSync } from 'node:fs';
import { Builtins, Cli, type BaseContext } from 'clipanion';
import { packageRoot } from '../src/paths.js';
import { DbMigrateCommand, DbStatusCommand } from './commands/db.js';
import { RegistryAddCommand } from './commands/registry/add.js';
import { RegistryCachePurgeCommand, RegistryCacheStatsCommand } from './commands/registry/cache.js';
import { RegistryGetCommand } from './commands/registry/get.js';
import { RegistryGraphCommand } from './commands/registry/graph.js';
import { RegistryLsCommand } from './commands/registry/ls.js';
import { RegistrySyncCommand } from './commands/registry/sync.js';
import { RegistryUpdateCommand } from './commands/registry/update.js';
import { ServeCommand } from './commands/serve.js';
import { TokenCreateCommand, TokenListCommand, TokenLocalCommand, TokenRevokeCommand } from './commands/token.js';
import { ValidateMetadataCommand } from './commands/validate.js';
import { ExitCode } from './exit-codes.js';

function packageVersion(): string {
  return JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')).version;
}

export function createCli(): Cli {
  const cli = new Cli({ binaryName: 'omnibase', binaryLabel: 'omnibase registry', binaryVersion: packageVersion() });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  cli.register(ServeCommand);
  cli.register(DbMigrateCommand);
  cli.register(DbStatusCommand);
  cli.register(ValidateMetadataCommand);
  cli.register(TokenCreateCommand);
  cli.register(TokenListCommand);
  cli.register(TokenRevokeCommand);
  cli.register(TokenLocalCommand);
  cli.register(RegistryAddCommand);
  cli.register(RegistryGetCommand);
  cli.register(RegistryLsCommand);
  cli.register(RegistryUpdateCommand);
  cli.register(RegistryGraphCommand);
  cli.register(RegistrySyncCommand);
  cli.register(RegistryCacheStatsCommand);
  cli.register(RegistryCachePurgeCommand);
  return cli;
}

/** Runs one command line and returns its exit code; a command line that does not parse is a usage error (2). */
export async function runCli(argv: string[], context: BaseContext = Cli.defaultContext): Promise<number> {
  const cli = createCli();
  let command;
  try {
    command = cli.process(argv, context);
  } catch (error) {
    context.stderr.write(cli.error(error, { colored: context.colorDepth > 1 }));
    return ExitCode.InvalidInput;
  }
  return cli.run(command, context);
}
