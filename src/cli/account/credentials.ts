import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../../files/atomic-file.js';
import { CliError, ExitCode, printWarning } from '../output.js';
import { say } from '../../text/terminal-language.js';
import { accountMessages } from './messages.js';
import type { Wording } from '../../text/wording.js';

/** One logged-in account on one server: what `keyhold login` stores. */
export interface StoredCredential {
  /** How --account names it: the email unless another name was given at login. */
  name: string;
  /** The server's origin, e.g. `https://keys.example.org`. */
  server: string;
  accountId: string;
  email: string;
  displayName: string;
  tokenId: string;
  /** The bearer token (key operations only); this file is the only place it is kept. */
  token: string;
  createdAt: string;
}

interface CredentialsFile {
  version: 1;
  credentials: StoredCredential[];
}

/**
 * `$XDG_CONFIG_HOME/keyhold/credentials.json`, else `%APPDATA%\keyhold` on Windows and
 * `~/.config/keyhold` elsewhere: the per-user configuration directory every platform expects.
 */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg?.startsWith('/')) return join(xdg, 'keyhold', 'credentials.json');
  if (process.platform === 'win32' && env.APPDATA) {
    return join(env.APPDATA, 'keyhold', 'credentials.json');
  }
  return join(homedir(), '.config', 'keyhold', 'credentials.json');
}

function isCredential(value: unknown): value is StoredCredential {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['name', 'server', 'accountId', 'email', 'displayName', 'tokenId', 'token'].every(
    (field) => typeof record[field] === 'string',
  );
}

/** The stored logins; none when the file does not exist yet. */
export async function readCredentials(path = credentialsPath()): Promise<StoredCredential[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(
      say(accountMessages.cannotReadCredentials(path, (error as Error).message)),
      ExitCode.environment,
    );
  }
  if (process.platform !== 'win32') {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      // Tokens readable by others must not stay that way; fixing it beats refusing to work.
      await chmod(path, 0o600);
      printWarning(say(accountMessages.credentialsMadePrivate(path)));
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(say(accountMessages.credentialsNotJson(path)), ExitCode.environment);
  }
  const credentials = (parsed as Partial<CredentialsFile> | null)?.credentials;
  if (!Array.isArray(credentials)) {
    throw new CliError(say(accountMessages.credentialsNotLogins(path)), ExitCode.environment);
  }
  return credentials.filter(isCredential);
}

/**
 * Replaces the file in one step (see writeFileAtomically: mode 600, synced, renamed over the old
 * one) in a folder only the user can open, so a crash never leaves half a file.
 */
export async function writeCredentials(
  credentials: readonly StoredCredential[],
  path = credentialsPath(),
): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const body: CredentialsFile = { version: 1, credentials: [...credentials] };
  await writeFileAtomically(path, Buffer.from(`${JSON.stringify(body, null, 2)}\n`), {
    replace: true,
  });
}

/** The same account on the same server replaces its old login; other logins stay. */
export function withCredential(
  credentials: readonly StoredCredential[],
  credential: StoredCredential,
): StoredCredential[] {
  return [
    ...credentials.filter(
      (existing) =>
        !(existing.server === credential.server && existing.accountId === credential.accountId) &&
        existing.name !== credential.name,
    ),
    credential,
  ];
}

function hostOf(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

/** How a login is named in messages: `ola@example.org on keys.example.org` (printed with `say`). */
export function credentialWording(credential: StoredCredential): Wording {
  const named = credential.name === credential.email ? '' : ` (${credential.name})`;
  const host = hostOf(credential.server);
  return {
    en: `${credential.email}${named} on ${host}`,
    nb: `${credential.email}${named} på ${host}`,
  };
}

/** The login in English, as --json output lists it whatever the terminal's language. */
export function describeCredential(credential: StoredCredential): string {
  return credentialWording(credential).en;
}

/**
 * The logins --account names: by the name given at login, the email, or the server's address;
 * every login without --account. Refuses a name that matches nothing, saying what exists.
 */
export function selectCredentials(
  credentials: readonly StoredCredential[],
  account: string | undefined,
): StoredCredential[] {
  if (account === undefined) return [...credentials];
  const wanted = account.trim().toLowerCase();
  const byName = credentials.filter((c) => c.name.toLowerCase() === wanted);
  const matches =
    byName.length > 0
      ? byName
      : credentials.filter(
          (c) =>
            c.email.toLowerCase() === wanted ||
            c.server.toLowerCase() === wanted.replace(/\/+$/, '') ||
            hostOf(c.server).toLowerCase() === wanted,
        );
  if (matches.length === 0) {
    const known = credentials.map((c) => `  ${c.name}: ${say(credentialWording(c))}`).join('\n');
    throw new CliError(
      credentials.length === 0
        ? say(accountMessages.notLoggedInAnywhere)
        : say(accountMessages.noLoginCalled(account, known)),
    );
  }
  return matches;
}

/** Exactly one login: --account when given, else the only one there is. */
export function selectOneCredential(
  credentials: readonly StoredCredential[],
  account: string | undefined,
): StoredCredential {
  const matches = selectCredentials(credentials, account);
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0) {
    throw new CliError(say(accountMessages.notLoggedInAnywhere));
  }
  const listed = matches
    .map((c) => `  --account ${c.name}   ${say(credentialWording(c))}`)
    .join('\n');
  throw new CliError(say(accountMessages.chooseOneLogin(listed)));
}
