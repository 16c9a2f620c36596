import { confirm, isCancel } from '@clack/prompts';
import { BackupError } from '../../backup/errors.js';
import { listRemovableDrives } from '../../backup/drives.js';
import {
  normalizeKeyIdPrefix,
  ProtectorIdError,
  protectorTypeLabels,
  type ProtectorType,
} from '../../bitlocker/protector-id.js';
import { ApiError } from '../account/api-client.js';
import { describeCredential, readCredentials, selectCredentials } from '../account/credentials.js';
import { AccountKeys } from '../account/key-library.js';
import {
  CliError,
  escapeForTerminal,
  ExitCode,
  printJson,
  printLine,
  printWarning,
  style,
} from '../output.js';
import type { Wording } from '../../text/wording.js';
import { say } from '../../text/terminal-language.js';
import {
  defaultSearchLimits,
  searchPlace,
  type PlaceResult,
  type SearchLimits,
  type SearchPlace,
} from './local-search.js';
import { backupMessages } from './messages.js';
import { describePlace, drivePlaces } from './places.js';
import { createProgress, type Progress } from './progress.js';

export interface FindFlags {
  in: string[];
  drives: boolean;
  accounts: boolean;
  account?: string;
  depth: string;
  show?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** One place a matching key is: a file on a drive or in a folder, or a server account. */
export interface FindMatch {
  where: 'drive' | 'folder' | 'account';
  /** The drive's mount point, the folder, or the server's address. */
  place: string;
  /**
   * "USB drive KEYS (/media/ola/KEYS)", "ola@example.org on keys.example.org"; --json gives the
   * English.
   */
  placeDescription: Wording;
  path?: string;
  protectorId: string;
  type: ProtectorType;
  format?: string;
  account?: { name: string; email: string; server: string; keyRecordId: string };
  deviceName?: string;
  volume?: string;
  /** Only with --show. */
  recoveryPassword?: string;
}

export interface FindProblem {
  place: string;
  /** --json gives the English. */
  message: Wording;
}

/** Text that exists in one wording only: another layer's message, or a server's answer. */
function asIs(text: string): Wording {
  return { en: text, nb: text };
}

const minimumPrefix = 4;

function keyIdPrefix(input: string): string {
  let prefix: string;
  try {
    prefix = normalizeKeyIdPrefix(input);
  } catch (error) {
    if (error instanceof ProtectorIdError) throw new CliError(say(error.wording));
    throw error;
  }
  if (prefix.length < minimumPrefix) {
    throw new CliError(say(backupMessages.keyIdTooShortToSearch(input, minimumPrefix)));
  }
  return prefix;
}

function depthOf(text: string): number {
  const depth = Number(text);
  if (!Number.isInteger(depth) || depth < 0 || depth > 32) {
    throw new CliError(say(backupMessages.badDepth(text)));
  }
  return depth;
}

function localMatches(result: PlaceResult): FindMatch[] {
  return result.matches.map((match) => ({
    where: match.place.kind,
    place: match.place.path,
    placeDescription: describePlace(match.place),
    path: match.path,
    protectorId: match.protectorId,
    type: match.type,
    format: match.format,
    ...(match.recoveryPassword ? { recoveryPassword: match.recoveryPassword } : {}),
  }));
}

/** Searches drives and folders one after the other, reporting progress as it goes. */
export async function searchLocalPlaces(
  places: readonly SearchPlace[],
  prefix: string,
  limits: SearchLimits,
  progress: Progress,
): Promise<{ matches: FindMatch[]; problems: FindProblem[]; searched: Wording[] }> {
  const matches: FindMatch[] = [];
  const problems: FindProblem[] = [];
  /** Only places that could be opened: a missing folder was not searched. */
  const searched: Wording[] = [];
  for (const place of places) {
    const name = describePlace(place);
    progress.start(say(backupMessages.searching(name)));
    const result = await searchPlace(place, prefix, limits, (seen) => {
      progress.update(say(backupMessages.searchingSeen(name, seen)));
    });
    if (result.error) {
      problems.push({
        place: place.path,
        message: backupMessages.notSearched(name, result.error),
      });
    } else {
      searched.push(name);
    }
    if (result.incomplete) {
      problems.push({
        place: place.path,
        message: backupMessages.searchStopped(name, limits.maxEntries),
      });
    }
    matches.push(...localMatches(result));
  }
  progress.stop();
  return { matches, problems, searched };
}

async function driveSearchPlaces(problems: FindProblem[]): Promise<SearchPlace[]> {
  try {
    return drivePlaces(await listRemovableDrives());
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    problems.push({ place: 'removable drives', message: error.wording });
    return [];
  }
}

async function searchAccounts(
  prefix: string,
  flags: FindFlags,
  progress: Progress,
): Promise<{ matches: FindMatch[]; problems: FindProblem[]; searched: Wording[] }> {
  const credentials = selectCredentials(await readCredentials(), flags.account);
  const matches: FindMatch[] = [];
  const problems: FindProblem[] = [];
  for (const credential of credentials) {
    const name = describeCredential(credential);
    progress.start(say(backupMessages.searching(asIs(name))));
    try {
      const keys = await new AccountKeys(credential).search(prefix);
      for (const key of keys) {
        matches.push({
          where: 'account',
          place: credential.server,
          placeDescription: asIs(name),
          protectorId: key.protectorId,
          type: 'recovery-password',
          account: {
            name: credential.name,
            email: credential.email,
            server: credential.server,
            keyRecordId: key.id,
          },
          deviceName: key.deviceName,
          volume: key.volume.label,
        });
      }
    } catch (error) {
      if (!(error instanceof CliError) && !(error instanceof ApiError)) throw error;
      problems.push({ place: credential.server, message: asIs(`${name}: ${error.message}`) });
    }
  }
  progress.stop();
  return {
    matches,
    problems,
    searched: credentials.map((credential) => asIs(describeCredential(credential))),
  };
}

/** Asks before each server-held key is revealed (the reveal is audited on the server). */
async function revealAccountKeys(
  matches: FindMatch[],
  flags: FindFlags,
  problems: FindProblem[],
): Promise<void> {
  const held = matches.filter((match) => match.account);
  if (held.length === 0) return;
  const interactive = process.stdin.isTTY && process.stdout.isTTY && !flags.json;
  if (!flags.yes && !interactive) {
    problems.push({
      place: 'accounts',
      message: backupMessages.revealNeedsYes,
    });
    return;
  }
  const credentials = await readCredentials();
  for (const match of held) {
    const account = match.account;
    if (!account) continue;
    if (!flags.yes) {
      const answer = await confirm({
        message: say(
          backupMessages.confirmReveal(
            match.protectorId,
            escapeForTerminal(say(match.placeDescription)),
          ),
        ),
        initialValue: false,
      });
      if (isCancel(answer) || !answer) continue;
    }
    const credential = credentials.find(
      (c) => c.server === account.server && c.name === account.name,
    );
    if (!credential) continue;
    try {
      match.recoveryPassword = await new AccountKeys(credential).reveal(account.keyRecordId);
    } catch (error) {
      if (!(error instanceof CliError) && !(error instanceof ApiError)) throw error;
      problems.push({
        place: account.server,
        message: asIs(`${match.placeDescription.en}: ${error.message}`),
      });
    }
  }
}

function printMatches(prefix: string, matches: FindMatch[], show: boolean): void {
  const count = say(backupMessages.matchCount(matches.length));
  printLine(`${style.bold(count)}${say(backupMessages.forKeyId(prefix))}`);
  for (const match of matches) {
    const kind = protectorTypeLabels[match.type];
    if (match.account) {
      const drive = escapeForTerminal([match.deviceName, match.volume].filter(Boolean).join(' '));
      const where = escapeForTerminal(say(match.placeDescription));
      printLine(`  ${where}: ${match.protectorId}${drive ? `  ${drive}` : ''}`);
    } else {
      const where = escapeForTerminal(say(match.placeDescription));
      printLine(`  ${where}: ${escapeForTerminal(match.path ?? '')}`);
      printLine(`      ${match.protectorId}  ${kind}`);
    }
    if (show && match.recoveryPassword)
      printLine(`      ${say(backupMessages.recoveryKey(match.recoveryPassword))}`);
  }
}

export async function runFind(keyId: string, flags: FindFlags): Promise<void> {
  const prefix = keyIdPrefix(keyId);
  const limits: SearchLimits = { ...defaultSearchLimits, maxDepth: depthOf(flags.depth) };
  const progress = createProgress(flags);
  const problems: FindProblem[] = [];
  const searched: Wording[] = [];
  const matches: FindMatch[] = [];

  if (flags.accounts) {
    const accounts = await searchAccounts(prefix, flags, progress);
    matches.push(...accounts.matches);
    problems.push(...accounts.problems);
    searched.push(...accounts.searched);
  }
  const places: SearchPlace[] = flags.drives ? await driveSearchPlaces(problems) : [];
  places.push(...flags.in.map((path) => ({ kind: 'folder' as const, path })));
  const local = await searchLocalPlaces(places, prefix, limits, progress);
  matches.push(...local.matches);
  problems.push(...local.problems);
  searched.push(...local.searched);

  if (flags.show) await revealAccountKeys(matches, flags, problems);
  if (flags.json) {
    // Machine output: every description and message in English, whatever the terminal's language.
    const shown = matches.map(({ recoveryPassword, placeDescription, ...match }) => ({
      ...match,
      placeDescription: placeDescription.en,
      ...(flags.show && recoveryPassword !== undefined ? { recoveryPassword } : {}),
    }));
    printJson({
      keyId: prefix,
      matches: shown,
      searched: searched.map((place) => place.en),
      problems: problems.map(({ place, message }) => ({ place, message: message.en })),
    });
  } else {
    for (const problem of problems) printWarning(say(problem.message));
    if (matches.length > 0) {
      printMatches(prefix, matches, flags.show === true);
    } else {
      const where =
        searched.length > 0
          ? searched.map((place) => say(place)).join('; ')
          : say(
              problems.length > 0
                ? backupMessages.nowhereCouldBeSearched
                : backupMessages.nowhereToSearch,
            );
      const notFound = backupMessages.notFound(prefix, escapeForTerminal(where));
      process.stderr.write(`${say(notFound)}\n`);
    }
  }
  if (matches.length > 0) process.exitCode = ExitCode.ok;
  else process.exitCode = problems.length > 0 ? ExitCode.environment : ExitCode.negative;
}
