import { Command, Option } from 'clipanion';
import type { TokenRecord } from '../../src/auth/tokens.js';
import type { Database } from '../../src/db/database.js';
import { registryUrl } from '../client/endpoint.js';
import { fields, outputOption, table, writeStructured } from '../client/output.js';
import { RegistryCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { DATABASE_SETTINGS, type SettingName } from '../settings.js';
import { withDatabase } from './db.js';

const TOKEN_DETAILS = `
  Tokens are managed on the registry's database directly, so these commands run where the server's
  database is reachable: DATABASE_URL (PostgreSQL), else the embedded database in OMNIBASE_DATA_DIR, which
  one process can open at a time (stop \`omnibase serve\` first). Clients send a token as
  "Authorization: Bearer <token>"; the CLI reads it from OMNIBASE_TOKEN.
`;

/** The token fields a script reads, with dates as ISO strings. */
function plain(record: TokenRecord) {
  return {
    id: record.id,
    name: record.name,
    capabilities: [...record.capabilities],
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}

/** Runs `work` with the token functions on the registry's database, made ready for them (see withDatabase). */
async function withTokens<T>(work: (tokens: typeof import('../../src/auth/tokens.js'), db: Database) => Promise<T>): Promise<T> {
  const tokens = await import('../../src/auth/tokens.js');
  return withDatabase((db) => work(tokens, db));
}

export class TokenCreateCommand extends RegistryCommand {
  static override paths = [['token', 'create']];
  static override settings = DATABASE_SETTINGS;
  static override usage = Command.Usage({
    category: 'Tokens',
    description: 'Create a token with a name and capabilities; the token is printed this once',
    details: `${TOKEN_DETAILS}
      Only a hash of the token is stored: keep the printed token somewhere safe, it cannot be shown again.
      Capabilities: REGISTRY_READ (queries) and REGISTRY_WRITE (register, update).`,
    examples: [
      ['A token for a CI job that registers components', '$0 token create --name ci --capability REGISTRY_READ --capability REGISTRY_WRITE'],
      ['A read-only token, as JSON', '$0 token create --name dashboards --capability REGISTRY_READ --output json'],
    ],
  });

  name = Option.String('--name', { required: true, description: 'What the token is for (1 to 100 characters)' });
  capabilities = Option.Array('--capability', { required: true, description: 'REGISTRY_READ or REGISTRY_WRITE; repeat for both' });
  output = outputOption();

  protected async run(): Promise<number> {
    return withTokens(async ({ createToken }, db) => {
        const { token, record } = await createToken(db, { name: this.name, capabilities: this.capabilities.map((c) => c.toUpperCase()) });
        if (this.output === 'human') {
          this.context.stdout.write(
            fields([
              ['token', token],
              ['id', record.id],
              ['name', record.name],
              ['capabilities', record.capabilities.join(', ')],
            ]),
          );
        } else {
          await writeStructured(this.context.stdout, this.output, { token, ...plain(record) });
        }
      this.context.stderr.write('The token is shown this once: store it now (clients read it from OMNIBASE_TOKEN).\n');
      return ExitCode.Ok;
    });
  }
}

export class TokenListCommand extends RegistryCommand {
  static override paths = [['token', 'list']];
  static override settings = DATABASE_SETTINGS;
  static override usage = Command.Usage({
    category: 'Tokens',
    description: 'List tokens: id, name, capabilities, when created, last used and revoked (never the tokens themselves)',
    details: TOKEN_DETAILS,
  });

  output = outputOption();

  protected async run(): Promise<number> {
    return withTokens(async ({ listTokens }, db) => {
      const records = await listTokens(db);
      if (this.output !== 'human') {
        await writeStructured(this.context.stdout, this.output, records.map(plain));
        return ExitCode.Ok;
      }
      if (!records.length) {
        this.context.stdout.write('no tokens yet: omnibase token create --name N --capability REGISTRY_READ\n');
        return ExitCode.Ok;
      }
      const when = (date: Date | null) => date?.toISOString().replace(/\.\d+Z$/, 'Z') ?? '-';
      this.context.stdout.write(
        table(
          ['ID', 'NAME', 'CAPABILITIES', 'CREATED', 'LAST USED', 'REVOKED'],
          records.map((r) => [r.id, r.name, r.capabilities.join(','), when(r.createdAt), when(r.lastUsedAt), when(r.revokedAt)]),
        ),
      );
      return ExitCode.Ok;
    });
  }
}

export class TokenRevokeCommand extends RegistryCommand {
  static override paths = [['token', 'revoke']];
  static override settings = DATABASE_SETTINGS;
  static override usage = Command.Usage({
    category: 'Tokens',
    description: 'Revoke a token by its id: requests with it are refused from then on',
    details: TOKEN_DETAILS,
    examples: [['Revoke a token', '$0 token revoke 3f2a9c0d1e4b']],
  });

  id = Option.String({ name: 'id' });

  protected async run(): Promise<number> {
    return withTokens(async ({ revokeToken }, db) => {
      const record = await revokeToken(db, this.id);
      this.context.stdout.write(`revoked: ${record.id} (${record.name}) at ${record.revokedAt!.toISOString()}\n`);
      return ExitCode.Ok;
    });
  }
}

export class TokenLocalCommand extends RegistryCommand {
  static override paths = [['token', 'local']];
  static override settings: readonly SettingName[] = ['OMNIBASE_URL', 'OMNIBASE_CONFIG_DIR'];
  static override usage = Command.Usage({
    category: 'Tokens',
    description: 'Print the local credential that `omnibase serve` wrote for a server on this machine',
    details: `
      A server listening on loopback writes a token with every capability to a file only this user can read
      ($OMNIBASE_CONFIG_DIR/credentials.json, by default $XDG_CONFIG_HOME/omnibase/credentials.json). The CLI
      uses it by itself; this prints it for other clients, such as curl or GraphiQL's headers.
    `,
    examples: [['Use it with curl', 'curl -H "authorization: Bearer $($0 token local)" …']],
  });

  url = Option.String('--url', { description: 'The server (default $OMNIBASE_URL, else http://127.0.0.1:4000/graphql)' });

  protected async run(): Promise<number> {
    const { findLocalToken, credentialsPath } = await import('../../src/auth/local-credential.js');
    const url = registryUrl(this.url, this.env);
    const token = await findLocalToken(url, this.env);
    if (!token) {
      this.context.stderr.write(`error: ${credentialsPath(this.env)} holds no credential for ${url}; start \`omnibase serve\` on loopback first\n`);
      return ExitCode.NotFound;
    }
    this.context.stdout.write(`${token}\n`);
    return ExitCode.Ok;
  }
}
