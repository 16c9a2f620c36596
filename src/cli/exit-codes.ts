/**
 * Every exit code each command can end with, and what it means there. The "Exit codes:" part
 * of each command's --help and the table in README.md are both made from this one list (a test
 * holds the README to it), so the two cannot drift apart.
 */
import type { Command } from 'commander';
import { ExitCode } from './output.js';

/** Ended by Ctrl-C (128 + SIGINT), as shells report it. */
export const interruptedExitCode = 130;

export interface ExitCodeMeaning {
  code: number;
  meaning: string;
}

/** Every command parses its flags first: a wrong or missing flag always ends with 2. */
const badFlags = 'unusable input: a wrong or missing flag or argument';

export const commandExitCodes: Readonly<Record<string, readonly ExitCodeMeaning[]>> = {
  serve: [
    { code: ExitCode.ok, meaning: 'stopped cleanly (Ctrl-C or SIGTERM)' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or a setting that cannot be used` },
    {
      code: ExitCode.environment,
      meaning:
        'the data folder, database or master key could not be opened, the port is taken, or a worker failed',
    },
  ],
  'admin migrate': [
    { code: ExitCode.ok, meaning: 'the schema is up to date' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or a setting that cannot be used` },
    { code: ExitCode.environment, meaning: 'the data folder, database or master key failed' },
  ],
  'admin backup': [
    { code: ExitCode.ok, meaning: 'the backup was written' },
    {
      code: ExitCode.negative,
      meaning: 'refused: pg_dump is missing or failed, or the passphrase is too short',
    },
    { code: ExitCode.unusable, meaning: `${badFlags}, or the passphrases differ` },
    { code: ExitCode.environment, meaning: 'the data folder, database or master key failed' },
  ],
  'admin restore': [
    { code: ExitCode.ok, meaning: 'the backup passed every check and was restored' },
    {
      code: ExitCode.negative,
      meaning:
        'refused: the backup is damaged or inconsistent, the key does not fit, or the folder is not empty',
    },
    { code: ExitCode.unusable, meaning: badFlags },
    { code: ExitCode.environment, meaning: 'the target folder or database could not be used' },
  ],
  'admin verify-backup': [
    { code: ExitCode.ok, meaning: 'the backup passed every check a restore makes' },
    {
      code: ExitCode.negative,
      meaning: 'the backup is damaged or inconsistent, or the key does not fit (named)',
    },
    { code: ExitCode.unusable, meaning: badFlags },
    {
      code: ExitCode.environment,
      meaning: 'the master key file or the scratch database could not be used',
    },
  ],
  'admin rotate-master-key': [
    { code: ExitCode.ok, meaning: 'every data key is wrapped with the new master key' },
    {
      code: ExitCode.negative,
      meaning: 'some secrets failed their integrity check (the old key versions were kept)',
    },
    { code: ExitCode.unusable, meaning: `${badFlags}, or a setting that cannot be used` },
    { code: ExitCode.environment, meaning: 'the data folder, database or master key failed' },
  ],
  'admin verify-audit': [
    { code: ExitCode.ok, meaning: 'the audit log chain is intact' },
    { code: ExitCode.negative, meaning: 'the chain is broken (the first broken link is named)' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or a setting that cannot be used` },
    { code: ExitCode.environment, meaning: 'the data folder, database or master key failed' },
  ],
  'admin create-org': [
    { code: ExitCode.ok, meaning: 'the organisation was created' },
    { code: ExitCode.unusable, meaning: `${badFlags}, a bad name, or no account with that email` },
    { code: ExitCode.environment, meaning: 'the data folder, database or master key failed' },
  ],
  'key generate': [
    { code: ExitCode.ok, meaning: 'a recovery password was printed' },
    { code: ExitCode.unusable, meaning: badFlags },
  ],
  'key check': [
    { code: ExitCode.ok, meaning: 'the recovery password is valid' },
    { code: ExitCode.negative, meaning: 'it is not valid (each wrong block is named)' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or standard input could not be read` },
  ],
  'key file': [
    { code: ExitCode.ok, meaning: 'the file was written, or already held this key' },
    {
      code: ExitCode.unusable,
      meaning: `${badFlags}, an invalid ID or password, or a file holding another key`,
    },
    { code: ExitCode.environment, meaning: 'the file could not be written (disk, permissions)' },
  ],
  read: [
    { code: ExitCode.ok, meaning: 'every file held keys' },
    { code: ExitCode.negative, meaning: 'a file holds no readable keys' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or a file cannot be opened` },
  ],
  backup: [
    { code: ExitCode.ok, meaning: 'every destination succeeded' },
    {
      code: ExitCode.negative,
      meaning: 'cancelled, or the key does not open --image, or --from holds no usable key',
    },
    {
      code: ExitCode.unusable,
      meaning: `${badFlags}, no key, a file that holds another key, or the drive the key unlocks`,
    },
    {
      code: ExitCode.environment,
      meaning: 'a drive, printer or server failed (the message names what succeeded)',
    },
  ],
  find: [
    { code: ExitCode.ok, meaning: 'found' },
    { code: ExitCode.negative, meaning: 'nothing found' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or a Key ID that cannot be one` },
    {
      code: ExitCode.environment,
      meaning: 'a place could not be searched (missing folder, server down) and nothing was found',
    },
  ],
  login: [
    { code: ExitCode.ok, meaning: 'logged in' },
    { code: ExitCode.negative, meaning: 'the request was denied or expired' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or a bad address` },
    { code: ExitCode.environment, meaning: 'the server could not be reached or refused' },
  ],
  logout: [
    { code: ExitCode.ok, meaning: 'logged out and the token revoked' },
    { code: ExitCode.negative, meaning: 'not logged in' },
    { code: ExitCode.unusable, meaning: badFlags },
    {
      code: ExitCode.environment,
      meaning: 'the server could not be reached (forgotten here: revoke the token in the web app)',
    },
  ],
  whoami: [
    { code: ExitCode.ok, meaning: 'every login works' },
    { code: ExitCode.negative, meaning: 'not logged in, or a login was revoked or expired' },
    { code: ExitCode.unusable, meaning: badFlags },
    { code: ExitCode.environment, meaning: 'a server could not be reached' },
  ],
  inspect: [
    { code: ExitCode.ok, meaning: 'the volume was shown' },
    {
      code: ExitCode.unusable,
      meaning: `${badFlags}, or not a BitLocker volume (the message says what it is)`,
    },
    { code: ExitCode.environment, meaning: 'reading the image or device failed' },
  ],
  verify: [
    { code: ExitCode.ok, meaning: 'the key opens the volume' },
    {
      code: ExitCode.negative,
      meaning: 'the key does not open it, or no logged-in account holds --from-account',
    },
    { code: ExitCode.unusable, meaning: `${badFlags}, or the key or volume cannot be used` },
    { code: ExitCode.environment, meaning: 'reading failed, or the server could not be reached' },
  ],
  unlock: [
    { code: ExitCode.ok, meaning: 'the whole decrypted volume was written' },
    { code: ExitCode.negative, meaning: 'the key does not open the volume (nothing is written)' },
    {
      code: ExitCode.unusable,
      meaning: `${badFlags}, the key or volume cannot be used, or the --out folder does not exist`,
    },
    { code: ExitCode.environment, meaning: 'reading or writing failed (nothing is left behind)' },
    { code: interruptedExitCode, meaning: 'interrupted with Ctrl-C (nothing is left behind)' },
  ],
  'agent enroll': [
    { code: ExitCode.ok, meaning: 'enrolled; the device key and state are saved' },
    {
      code: ExitCode.negative,
      meaning:
        'refused: the token is not valid, or the computer is already enrolled (choose --replace or --keep-both)',
    },
    { code: ExitCode.unusable, meaning: `${badFlags}, or this state folder is already enrolled` },
    {
      code: ExitCode.environment,
      meaning: 'the server cannot be reached, or the state folder cannot be written',
    },
  ],
  'agent run': [
    { code: ExitCode.ok, meaning: 'every key is escrowed and every requested rotation done' },
    {
      code: ExitCode.negative,
      meaning:
        'a rotation was refused (named): it would have left fewer ways in, or a LUKS volume cannot be read or waits for its key file',
    },
    {
      code: ExitCode.unusable,
      meaning: `${badFlags}, the computer is not enrolled, or the --luks volume or --luks-key-file cannot be used`,
    },
    {
      code: ExitCode.environment,
      meaning:
        'the server cannot be reached or refused, or the drives cannot be read; the state is kept and the next attempt waits (backoff)',
    },
  ],
  'agent status': [
    { code: ExitCode.ok, meaning: 'the state was shown' },
    { code: ExitCode.unusable, meaning: `${badFlags}, or the computer is not enrolled` },
    { code: ExitCode.environment, meaning: 'the state folder cannot be read' },
  ],
};

/** "key check" for the `check` command under `key`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at = command; at.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

export function exitCodesOf(path: string): readonly ExitCodeMeaning[] {
  const codes = commandExitCodes[path];
  if (!codes) throw new Error(`No exit codes listed for "keyhold ${path}"`);
  return codes;
}

/** The "Exit codes:" section of a command's --help. */
export function exitCodesHelp(path: string): string {
  const lines = exitCodesOf(path).map(
    ({ code, meaning }) => `  ${String(code).padEnd(3)} ${meaning}`,
  );
  return `\nExit codes:\n${lines.join('\n')}`;
}

/** Adds the "Exit codes:" section to the --help of every command that does the work. */
export function addExitCodesToHelp(program: Command): void {
  for (const command of program.commands) {
    if (command.commands.length > 0) {
      addExitCodesToHelp(command);
    } else {
      command.addHelpText('after', exitCodesHelp(commandPath(command)));
    }
  }
}

/** The README's table: one row per command, its codes and their meanings. */
export function exitCodesMarkdown(): string {
  const rows = Object.entries(commandExitCodes).map(
    ([path, codes]) =>
      `| \`keyhold ${path}\` | ${codes.map(({ code, meaning }) => `${code} ${meaning}`).join('<br>')} |`,
  );
  return ['| Command | Exit codes |', '| --- | --- |', ...rows].join('\n');
}
