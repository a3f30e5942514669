import { readFileSync } from 'node:fs';
import { Builtins, Cli, type BaseContext } from 'clipanion';
import { packageRoot } from '../src/paths.js';
import { DbMigrateCommand, DbStatusCommand } from './commands/db.js';
import { RegistryAddCommand } from './commands/registry/add.js';
import { RegistryCachePurgeCommand, RegistryCacheStatsCommand } from './commands/registry/cache.js';
import { RegistryDiffCommand } from './commands/registry/diff.js';
import { RegistryGetCommand } from './commands/registry/get.js';
import { RegistryGraphCommand } from './commands/registry/graph.js';
import { RegistryHistoryCommand } from './commands/registry/history.js';
import { RegistryImpactCommand } from './commands/registry/impact.js';
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

/** Every command, in the order --help lists them. */
const COMMANDS = [
  ServeCommand,
  DbMigrateCommand,
  DbStatusCommand,
  ValidateMetadataCommand,
  TokenCreateCommand,
  TokenListCommand,
  TokenRevokeCommand,
  TokenLocalCommand,
  RegistryAddCommand,
  RegistryGetCommand,
  RegistryLsCommand,
  RegistryUpdateCommand,
  RegistryImpactCommand,
  RegistryGraphCommand,
  RegistryHistoryCommand,
  RegistryDiffCommand,
  RegistrySyncCommand,
  RegistryCacheStatsCommand,
  RegistryCachePurgeCommand,
];

/**
 * The commands a command line can mean. Parsing compiles a state machine over the options of every registered
 * command, the largest cost of a short command such as an offline `get` (about a fifth of it): a line that
 * starts with a command's path registers that command alone. Any other line (no command, a typo, a path cut
 * short) gets them all, for clipanion's help and suggestions.
 */
function commandsFor(argv: readonly string[] | undefined): typeof COMMANDS {
  if (!argv) return COMMANDS;
  const named = COMMANDS.filter((command) => command.paths?.some((path) => path.every((word, index) => argv[index] === word)));
  return named.length ? named : COMMANDS;
}

/** The CLI with the commands `argv` can mean (see commandsFor), or with all of them. */
export function createCli(argv?: readonly string[]): Cli {
  const cli = new Cli({ binaryName: 'omnibase', binaryLabel: 'omnibase registry', binaryVersion: packageVersion() });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  for (const command of commandsFor(argv)) cli.register(command);
  return cli;
}

/** Runs one command line and returns its exit code; a command line that does not parse is a usage error (2). */
export async function runCli(argv: string[], context: BaseContext = Cli.defaultContext): Promise<number> {
  const cli = createCli(argv);
  let command;
  try {
    command = cli.process(argv, context);
  } catch (error) {
    context.stderr.write(cli.error(error, { colored: context.colorDepth > 1 }));
    return ExitCode.InvalidInput;
  }
  return cli.run(command, context);
}
