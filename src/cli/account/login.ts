import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  deviceCodeGrantType,
  DeviceCodes,
  DeviceTokenRequest,
  IssuedToken,
  TokenHolder,
} from '../../api/device-auth.js';
import { hasUnsafeCharacters } from '../../text/unsafe-characters.js';
import { createProgress } from '../backup/progress.js';
import {
  CliError,
  escapeForTerminal,
  ExitCode,
  printJson,
  printLine,
  printWarning,
} from '../output.js';
import {
  ApiError,
  hasScheme,
  isThisComputer,
  KeyholdApi,
  serverOrigin,
  ServerUnreachableError,
} from './api-client.js';
import {
  credentialsPath,
  credentialWording,
  readCredentials,
  selectCredentials,
  selectOneCredential,
  withCredential,
  writeCredentials,
  type StoredCredential,
} from './credentials.js';
import { say } from '../../text/terminal-language.js';
import { accountMessages } from './messages.js';
import type { Wording } from '../../text/wording.js';

export interface WhoamiFlags {
  account?: string;
  json?: boolean;
}

export interface LogoutFlags {
  account?: string;
  all?: boolean;
  json?: boolean;
}

export interface LoginFlags {
  account?: string;
  deviceName?: string;
  json?: boolean;
}

const clientId = 'keyhold-cli';
/** Spelled out rather than imported: the contract module loads zod, which the CLI does without. */
const deviceCodeGrant: typeof deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code';

/** Polls the token endpoint as RFC 8628 asks: at the interval, 5 s slower after slow_down. */
async function waitForApproval(api: KeyholdApi, codes: DeviceCodes): Promise<IssuedToken> {
  let interval = codes.interval;
  const deadline = Date.now() + codes.expires_in * 1000;
  for (;;) {
    await sleep(interval * 1000);
    try {
      const tokenRequest: DeviceTokenRequest = {
        grant_type: deviceCodeGrant,
        device_code: codes.device_code,
        client_id: clientId,
      };
      return await api.request<IssuedToken>('POST', '/api/v1/device/token', tokenRequest);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      switch (error.code) {
        case 'authorization_pending':
          break;
        case 'slow_down':
          interval += 5;
          break;
        case 'access_denied':
          throw new CliError(say(accountMessages.deniedInBrowser), ExitCode.negative);
        case 'expired_token':
          throw new CliError(say(accountMessages.codeExpired), ExitCode.negative);
        default:
          throw new CliError(
            say(accountMessages.loginRefused(error.message)),
            ExitCode.environment,
          );
      }
    }
    if (Date.now() > deadline) {
      throw new CliError(say(accountMessages.codeExpired), ExitCode.negative);
    }
  }
}

/**
 * An address typed without a scheme is tried over https. A server on this computer usually
 * listens on plain HTTP (`keyhold serve` without --tls-cert), so when https fails there, the
 * answer names the http:// address to use instead; elsewhere plain HTTP stays refused.
 */
function withPlainHttpAdvice(
  typed: string,
  origin: string,
  error: ServerUnreachableError,
): ServerUnreachableError {
  const { hostname, host } = new URL(origin);
  if (!isThisComputer(hostname)) return error;
  return new ServerUnreachableError(
    say(accountMessages.unreachableOverHttps(origin, error.reason, typed, host)),
    error.reason,
  );
}

export async function runLogin(server: string, flags: LoginFlags): Promise<void> {
  const origin = serverOrigin(server);
  if (flags.deviceName !== undefined && hasUnsafeCharacters(flags.deviceName)) {
    throw new CliError(say(accountMessages.unsafeDeviceName));
  }
  const api = new KeyholdApi(origin);
  let codes: DeviceCodes;
  try {
    codes = await api.request<DeviceCodes>('POST', '/api/v1/device/authorize', {
      client_id: clientId,
      scope: 'keys',
      device_name: flags.deviceName ?? `keyhold on ${hostname()}`,
    });
  } catch (error) {
    if (error instanceof ServerUnreachableError && !hasScheme(server)) {
      throw withPlainHttpAdvice(server, origin, error);
    }
    if (!(error instanceof ApiError)) throw error;
    throw new CliError(
      error.status === 404
        ? say(accountMessages.noDeviceSignIn(origin))
        : say(accountMessages.loginStartRefused(origin, error.message)),
      ExitCode.environment,
    );
  }
  const minutes = Math.round(codes.expires_in / 60);
  // The instructions go to standard error so --json output stays a single document. The
  // server chose the address and code, so they are printed escaped like any answer of its.
  process.stderr.write(
    say(
      accountMessages.approveInBrowser(
        escapeForTerminal(codes.verification_uri),
        escapeForTerminal(codes.user_code),
        escapeForTerminal(codes.verification_uri_complete),
        minutes,
      ),
    ),
  );
  const progress = createProgress(flags);
  progress.start(say(accountMessages.waitingForApproval));
  let issued: IssuedToken;
  try {
    issued = await waitForApproval(api, codes);
  } finally {
    progress.stop();
  }
  const holder = await new KeyholdApi(origin, issued.access_token).request<TokenHolder>(
    'GET',
    '/api/v1/device/token',
  );
  const credential: StoredCredential = {
    name: flags.account ?? holder.account.email,
    server: origin,
    accountId: holder.account.id,
    email: holder.account.email,
    displayName: holder.account.displayName,
    tokenId: holder.token.id,
    token: issued.access_token,
    createdAt: holder.token.createdAt,
  };
  const path = credentialsPath();
  await writeCredentials(withCredential(await readCredentials(path), credential), path);
  if (flags.json) {
    printJson({
      name: credential.name,
      server: origin,
      account: holder.account,
      credentials: path,
    });
    return;
  }
  printLine(
    escapeForTerminal(
      say(
        accountMessages.loggedIn(
          holder.account.displayName,
          holder.account.email,
          origin,
          credential.name,
          path,
        ),
      ),
    ),
  );
}

/** Revokes the token on its server; false (with the reason) when the server could not be asked. */
async function revokeOnServer(credential: StoredCredential): Promise<string | undefined> {
  try {
    await KeyholdApi.forCredential(credential).request('DELETE', '/api/v1/device/token');
    return undefined;
  } catch (error) {
    // Already revoked or expired: the server has nothing left to revoke.
    if (error instanceof ApiError && error.status === 401) return undefined;
    if (error instanceof ApiError || error instanceof CliError) return error.message;
    throw error;
  }
}

export async function runLogout(flags: LogoutFlags): Promise<void> {
  const credentials = await readCredentials();
  const ending = flags.all
    ? selectCredentials(credentials, flags.account)
    : [selectOneCredential(credentials, flags.account)];
  const results: { name: string; server: string; revoked: boolean }[] = [];
  for (const credential of ending) {
    const problem = await revokeOnServer(credential);
    results.push({
      name: credential.name,
      server: credential.server,
      revoked: problem === undefined,
    });
    if (problem !== undefined) {
      printWarning(say(accountMessages.revokeFailed(say(credentialWording(credential)), problem)));
    } else if (!flags.json) {
      printLine(
        escapeForTerminal(say(accountMessages.loggedOut(say(credentialWording(credential))))),
      );
    }
  }
  await writeCredentials(credentials.filter((credential) => !ending.includes(credential)));
  if (flags.json) printJson({ loggedOut: results });
  if (results.some((result) => !result.revoked)) process.exitCode = ExitCode.environment;
}

interface WhoamiEntry {
  name: string;
  server: string;
  email: string;
  displayName: string;
  valid: boolean;
  tokenExpiresAt?: string;
  problem?: string;
  /** The problem in the terminal's language; --json keeps `problem` as it always was. */
  problemWording?: Wording;
}

export async function runWhoami(flags: WhoamiFlags): Promise<void> {
  const credentials = selectCredentials(await readCredentials(), flags.account);
  if (credentials.length === 0) {
    if (flags.json) printJson([]);
    else process.stderr.write(`${say(accountMessages.notLoggedIn)}\n`);
    process.exitCode = ExitCode.negative;
    return;
  }
  const entries: WhoamiEntry[] = [];
  let exitCode: number = ExitCode.ok;
  for (const credential of credentials) {
    const base = {
      name: credential.name,
      server: credential.server,
      email: credential.email,
      displayName: credential.displayName,
    };
    try {
      const holder = await KeyholdApi.forCredential(credential).request<TokenHolder>(
        'GET',
        '/api/v1/device/token',
      );
      entries.push({
        ...base,
        email: holder.account.email,
        displayName: holder.account.displayName,
        valid: true,
        tokenExpiresAt: holder.token.expiresAt,
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        entries.push({
          ...base,
          valid: false,
          problem: accountMessages.loginNoLongerWorks(credential.server).en,
          problemWording: accountMessages.loginNoLongerWorks(credential.server),
        });
        exitCode = Math.max(exitCode, ExitCode.negative);
      } else if (error instanceof ApiError || error instanceof CliError) {
        entries.push({ ...base, valid: false, problem: error.message });
        exitCode = ExitCode.environment;
      } else {
        throw error;
      }
    }
  }
  if (flags.json) {
    printJson(entries.map(({ problemWording: _printedOnly, ...entry }) => entry));
  } else {
    for (const entry of entries) {
      const who = say(accountMessages.holderOn(entry.displayName, entry.email, entry.server));
      const named = entry.name === entry.email ? '' : ` (--account ${entry.name})`;
      printLine(
        escapeForTerminal(
          entry.valid
            ? say(
                accountMessages.whoamiValid(
                  `${who}${named}`,
                  entry.tokenExpiresAt?.slice(0, 10) ?? '?',
                ),
              )
            : `${who}${named}: ${entry.problemWording ? say(entry.problemWording) : (entry.problem ?? '')}`,
        ),
      );
    }
  }
  process.exitCode = exitCode;
}
