import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The local credential: a token the server mints for itself when it listens on loopback, written where
 * only this user can read it, so the CLI on the same machine needs no manual token step (SPEC §4).
 */
export interface LocalCredential {
  /** The GraphQL endpoint the server listens on, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  readonly tokenId: string;
  readonly token: string;
  readonly createdAt: string;
}

/** `$OMNIBASE_CONFIG_DIR/credentials.json`, else `$XDG_CONFIG_HOME/omnibase/credentials.json` (~/.config by default). */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.OMNIBASE_CONFIG_DIR?.trim() || join(env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config'), 'omnibase');
  return join(dir, 'credentials.json');
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Loopback names are one host: a credential for 127.0.0.1:4000 also serves http://localhost:4000. */
function endpointKey(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = LOOPBACK_HOSTS.has(parsed.hostname) ? 'loopback' : parsed.hostname;
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.protocol}//${host}:${port}${parsed.pathname.replace(/\/+$/, '')}`;
}

export async function readLocalCredentials(env: NodeJS.ProcessEnv = process.env): Promise<LocalCredential[]> {
  let text: string;
  try {
    text = await readFile(credentialsPath(env), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { credentials?: unknown };
    return Array.isArray(parsed.credentials)
      ? parsed.credentials.filter(
          (entry): entry is LocalCredential =>
            typeof entry === 'object' && entry !== null && typeof entry.url === 'string' && typeof entry.token === 'string',
        )
      : [];
  } catch {
    // A damaged file holds no usable credential; the server writes a fresh one at its next start.
    return [];
  }
}

/** The token of the local credential for this endpoint, if the server on this machine wrote one. */
export async function findLocalToken(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const key = endpointKey(url);
  if (!key) return undefined;
  const credentials = await readLocalCredentials(env);
  return credentials.find((entry) => endpointKey(entry.url) === key)?.token;
}

/** Stores the credential for its endpoint, replacing an older one; the file is written whole, mode 0600. */
export async function saveLocalCredential(credential: LocalCredential, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const path = credentialsPath(env);
  const key = endpointKey(credential.url);
  const others = (await readLocalCredentials(env)).filter((entry) => endpointKey(entry.url) !== key);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ credentials: [...others, credential] }, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
