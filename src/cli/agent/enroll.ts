import { readFile } from 'node:fs/promises';
import { hostname, release, type } from 'node:os';
import { generateDeviceKeyPair } from '../../crypto/device-assertion.js';
import { CliError, ExitCode, escapeForTerminal, printJson, printLine } from '../output.js';
import { enrollDevice, ServerRefusedError, ServerUnreachableError } from './client.js';
import { say } from '../../text/terminal-language.js';
import { agentMessages } from './messages.js';
import {
  defaultStateDir,
  ensureStateDir,
  readState,
  saveState,
  statePaths,
  writePrivateFile,
} from './state.js';

export interface AgentEnrollFlags {
  server: string;
  token: string;
  stateDir?: string;
  hardwareId?: string;
  replace?: boolean;
  keepBoth?: boolean;
  json?: boolean;
}

/** This machine's identifier that survives renaming: machine-id on Linux, the SMBIOS UUID elsewhere. */
async function hardwareIdOfThisMachine(): Promise<string> {
  for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = (await readFile(path, 'utf8')).trim();
      if (id !== '') return id;
    } catch {
      // The next place, or the host name below.
    }
  }
  return hostname();
}

function serverUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // Worded below.
  }
  throw new CliError(say(agentMessages.badServer(text)), ExitCode.unusable);
}

export async function runAgentEnroll(flags: AgentEnrollFlags): Promise<void> {
  const server = serverUrl(flags.server);
  const dir = flags.stateDir ?? defaultStateDir();
  await ensureStateDir(dir);
  const existing = await readState(dir).catch(() => undefined);
  if (existing && !flags.replace && !flags.keepBoth) {
    throw new CliError(
      say(agentMessages.alreadyEnrolledHere(dir, existing.server)),
      ExitCode.unusable,
    );
  }
  const keys = generateDeviceKeyPair();
  const hardwareId = flags.hardwareId ?? (await hardwareIdOfThisMachine());
  let answer;
  try {
    answer = await enrollDevice(server, {
      token: flags.token,
      hostname: hostname(),
      os: `${type()} ${release()}`,
      hardwareId,
      publicKey: keys.publicJwk,
      ...(flags.replace ? { ifAlreadyEnrolled: 'replace' as const } : {}),
      ...(flags.keepBoth ? { ifAlreadyEnrolled: 'keep-both' as const } : {}),
    });
  } catch (error) {
    if (error instanceof ServerUnreachableError) {
      throw new CliError(
        say(agentMessages.unreachable(server, error.reason)),
        ExitCode.environment,
      );
    }
    if (error instanceof ServerRefusedError) {
      const message = escapeForTerminal(error.message);
      throw new CliError(
        error.code === 'already_enrolled'
          ? say(agentMessages.duplicate(message))
          : say(agentMessages.serverRefused(error.status, message)),
        error.status === 401 || error.status === 409 ? ExitCode.negative : ExitCode.environment,
      );
    }
    throw error;
  }
  // The key first: a state file never names an enrollment whose key is missing.
  await writePrivateFile(statePaths(dir).key, keys.privateKeyPem);
  await saveState(dir, {
    version: 1,
    server,
    enrolledDeviceId: answer.enrolledDeviceId,
    deviceName: answer.deviceName,
    organisation: answer.organisation,
    escrowPublicKey: answer.escrowPublicKey,
    hardwareId,
    sequence: 0,
    escrowed: {},
    pending: [],
    failures: 0,
  });
  if (flags.json) {
    printJson({
      enrolledDeviceId: answer.enrolledDeviceId,
      deviceName: answer.deviceName,
      organisation: answer.organisation,
      stateDir: dir,
    });
    return;
  }
  printLine(
    say(
      agentMessages.enrolled(
        escapeForTerminal(answer.deviceName),
        escapeForTerminal(answer.organisation.name),
        dir,
      ),
    ),
  );
}
