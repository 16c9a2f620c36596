import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../files/atomic-file.js';
import { CliError, ExitCode } from '../output.js';
import { say } from '../../text/terminal-language.js';
import { agentMessages } from './messages.js';

/**
 * What the agent keeps between runs, in its state folder: the device's private key
 * (`device-key.pem`, mode 600, never sent anywhere) and `state.json` (mode 600): the enrollment,
 * the keys the server confirmed, keys made but not yet confirmed (sealed to the organisation's
 * escrow key), rotations under way and when to try again after a failure. Both are written
 * whole through the atomic writer, so a kill at any moment leaves the old or the new file.
 */

/** The system location: one per computer, readable only by the service's account. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') {
    return join(env.ProgramData ?? 'C:\\ProgramData', 'Keyhold');
  }
  return '/var/lib/keyhold-agent';
}

export interface PendingKey {
  /** The drive (mount point, or the LUKS device) the key belongs to. */
  drive: string;
  /** The recovery secret sealed to the organisation's escrow key; only the server opens it. */
  sealed: string;
  /** SHA-256 (hex) of salt + secret: recognises the protector or slot holding it after a crash. */
  fingerprint: string;
  salt: string;
  /** Set once the protector or key slot exists on the drive. */
  keyId?: string;
  luksSlot?: number;
  /** The key it replaces, for a rotation. */
  replaces?: string;
  /** How many protectors (ways in) the drive had when the rotation began. */
  waysIn?: number;
  /** Where the rotation is: made, on the drive, stored by the server, old protector removed. */
  step: 'made' | 'added' | 'confirmed' | 'removed';
}

/** A LUKS volume the agent looks after, remembered from the run that named it with --luks. */
export interface LuksVolumeRecord {
  /** The device or image file, as given. */
  device: string;
  /** The person's key file (its path only; the agent never copies what is in it). */
  keyFile: string;
  /** The LUKS UUID the device had when it was named: another volume there is refused. */
  uuid: string;
  /** The recovery slot the server confirmed storing, and its key's identifier. */
  recovery?: { keyId: string; slot: number };
}

export interface AgentStateFile {
  version: 1;
  server: string;
  enrolledDeviceId: string;
  deviceName: string;
  organisation: { id: string; name: string };
  escrowPublicKey: string;
  hardwareId: string;
  sequence: number;
  /** Key ID -> fingerprint of what the server last confirmed for it (protector types, drive). */
  escrowed: Record<string, string>;
  pending: PendingKey[];
  luks?: LuksVolumeRecord[];
  /** Drive -> fingerprint of the protectors last reported for a drive with no recovery password. */
  uncoveredDrives?: Record<string, string>;
  lastRun?: {
    at: string;
    outcome: 'ok' | 'offline' | 'failed';
    message?: string;
    escrowed: number;
    rotated: number;
  };
  /** The newest access token (it lives minutes): a run soon after the last needs no new one. */
  accessToken?: { token: string; expiresAtMs: number };
  /** Failures in a row and the earliest time the next attempt should run. */
  failures: number;
  retryAfter?: string;
}

export function statePaths(dir: string) {
  return { key: join(dir, 'device-key.pem'), state: join(dir, 'state.json') };
}

export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliError(
      say(agentMessages.stateDirUnusable(dir, (error as Error).message)),
      ExitCode.environment,
    );
  }
}

export async function writePrivateFile(path: string, text: string): Promise<void> {
  await writeFileAtomically(path, Buffer.from(text, 'utf8'), { replace: true });
  // The atomic writer's temporary file is created 600 already; this keeps it so if the umask or
  // an earlier file said otherwise.
  await chmod(path, 0o600);
}

export async function readState(dir: string): Promise<AgentStateFile> {
  const paths = statePaths(dir);
  let text: string;
  try {
    text = await readFile(paths.state, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(say(agentMessages.notEnrolled(dir)), ExitCode.unusable);
    }
    throw new CliError(
      say(agentMessages.stateDirUnusable(dir, (error as Error).message)),
      ExitCode.environment,
    );
  }
  try {
    const state = JSON.parse(text) as Partial<AgentStateFile> | null;
    if (state?.version !== 1 || typeof state.enrolledDeviceId !== 'string') throw new Error();
    return state as AgentStateFile;
  } catch {
    throw new CliError(say(agentMessages.stateDamaged(paths.state)), ExitCode.environment);
  }
}

export async function saveState(dir: string, state: AgentStateFile): Promise<void> {
  await writePrivateFile(statePaths(dir).state, `${JSON.stringify(state, null, 2)}\n`);
}

export async function readPrivateKey(dir: string): Promise<string> {
  const path = statePaths(dir).key;
  try {
    const info = await stat(path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new CliError(say(agentMessages.keyTooOpen(path)), ExitCode.environment);
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(say(agentMessages.notEnrolled(dir)), ExitCode.unusable);
  }
}
