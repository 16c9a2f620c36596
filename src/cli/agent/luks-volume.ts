import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { LuksDumpError, parseLuksDump, type LuksHeader } from '../../luks/luks-dump.js';
import { say } from '../../text/terminal-language.js';
import { agentMessages } from './messages.js';

/**
 * The agent's hands on a LUKS volume: the real `cryptsetup`, found on the PATH (with /usr/sbin and
 * /sbin added, where Debian and others put it). Secrets never appear on a command line: the
 * person's key goes in as the file they gave, a new recovery passphrase through a file of mode
 * 600 in a private temporary folder that is removed straight after.
 */

export class LuksToolError extends Error {
  constructor(
    readonly device: string,
    readonly reason: string,
  ) {
    super(`${device}: ${reason}`);
    this.name = 'LuksToolError';
  }
}

const commandTimeoutMs = 5 * 60_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function cryptsetup(args: readonly string[]): Promise<Outcome> {
  const path = [process.env.PATH ?? '', '/usr/sbin', '/sbin'].filter(Boolean).join(delimiter);
  return new Promise((resolve, reject) => {
    execFile(
      'cryptsetup',
      args,
      {
        encoding: 'utf8',
        timeout: commandTimeoutMs,
        maxBuffer: 8 << 20,
        // Messages in English, whatever the computer's language, so they can be reported as is.
        env: { ...process.env, PATH: path, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new LuksToolError('cryptsetup', say(agentMessages.cryptsetupMissing)));
          return;
        }
        resolve({ code: error ? Number(error.code ?? 1) || 1 : 0, stdout, stderr });
      },
    );
  });
}

function failure(device: string, what: string, outcome: Outcome): LuksToolError {
  const said = outcome.stderr.trim().split('\n').at(-1) ?? '';
  return new LuksToolError(device, say(agentMessages.toolFailed(what, outcome.code, said)));
}

/** The volume's LUKS version, UUID and key slots in use. */
export async function inspectLuks(device: string): Promise<LuksHeader> {
  const dumped = await cryptsetup(['luksDump', device]);
  if (dumped.code !== 0) throw failure(device, 'cryptsetup luksDump', dumped);
  try {
    return parseLuksDump(dumped.stdout);
  } catch (error) {
    if (error instanceof LuksDumpError) throw new LuksToolError(device, error.message);
    throw error;
  }
}

/** Whether the key file opens the volume (through `slot` only, when given). */
export async function keyFileOpens(
  device: string,
  keyFile: string,
  slot?: number,
): Promise<boolean> {
  const args = ['open', '--test-passphrase', '--batch-mode', '--key-file', keyFile];
  if (slot !== undefined) args.push('--key-slot', String(slot));
  const tested = await cryptsetup([...args, device]);
  // 2: no key slot opened with it; anything else (1, 4 ...) is a problem with the device.
  if (tested.code === 0 || tested.code === 2) return tested.code === 0;
  throw failure(device, 'cryptsetup open --test-passphrase', tested);
}

/** Adds `passphrase` in key slot `slot`, authorised by the person's key file. */
export async function addKeySlot(
  device: string,
  keyFile: string,
  slot: number,
  passphrase: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'keyhold-luks-'));
  try {
    const newKeyFile = join(dir, 'new-key');
    await writeFile(newKeyFile, passphrase, { mode: 0o600 });
    const added = await cryptsetup([
      'luksAddKey',
      '--batch-mode',
      '--key-file',
      keyFile,
      '--key-slot',
      String(slot),
      device,
      newKeyFile,
    ]);
    if (added.code !== 0) throw failure(device, `cryptsetup luksAddKey (slot ${slot})`, added);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes key slot `slot`, authorised by the person's key file (which must still open). */
export async function killKeySlot(device: string, keyFile: string, slot: number): Promise<void> {
  const killed = await cryptsetup([
    'luksKillSlot',
    '--batch-mode',
    '--key-file',
    keyFile,
    device,
    String(slot),
  ]);
  if (killed.code !== 0) throw failure(device, `cryptsetup luksKillSlot (slot ${slot})`, killed);
}
