import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { RegistryCommand } from '../command.js';
import { DATABASE_SETTINGS, type SettingName } from '../settings.js';

export class ServeCommand extends RegistryCommand {
  static override paths = [['serve']];
  static override settings: readonly SettingName[] = [
    ...DATABASE_SETTINGS,
    'OMNIBASE_CONFIG_DIR',
    'OMNIBASE_LOG_LEVEL',
    'OMNIBASE_LOG_FORMAT',
    'OMNIBASE_INTROSPECTION',
    'OMNIBASE_ANONYMOUS_CAPABILITIES',
    'OMNIBASE_RESPONSE_CACHE_ENTRIES',
    'OMNIBASE_SHUTDOWN_TIMEOUT_MS',
  ];
  static override usage = Command.Usage({
    description: 'Run the registry server: GraphQL and GraphiQL at /graphql',
    details: `
      Uses PostgreSQL when DATABASE_URL is set, else the embedded database in OMNIBASE_DATA_DIR (default:
      $XDG_DATA_HOME/omnibase/registry), whose migrations are applied at start. On PostgreSQL, pending
      migrations stop the start-up unless --migrate is given (or run \`omnibase db migrate\` first).
    `,
    examples: [
      ['Serve on the default port, loopback only', '$0 serve'],
      ['Serve on all interfaces, port 8080', '$0 serve --host 0.0.0.0 --port 8080'],
    ],
  });

  port = Option.String('--port', '4000', { validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(0, 65535)]) });
  host = Option.String('--host', '127.0.0.1');
  migrate = Option.Boolean('--migrate', false, { description: 'Apply pending migrations before serving' });

  protected async run(): Promise<number> {
    // Loaded here, not at the top: the server stack is heavy, and other commands should not pay for it.
    const { serve } = await import('../../src/server/serve.js');
    return serve({ port: this.port, host: this.host, migrate: this.migrate });
  }
}
