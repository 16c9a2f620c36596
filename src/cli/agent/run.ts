import { createHash, randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EscrowBody } from '../../api/enrollment.js';
import { generateRecoveryPassword } from '../../bitlocker/recovery-password-generation.js';
import { sealForEscrow } from '../../crypto/escrow-seal.js';
import { runWindowsCommand } from '../backup/windows-volumes.js';
import {
  CliError,
  ExitCode,
  escapeForTerminal,
  printError,
  printJson,
  printLine,
} from '../output.js';
import {
  windowsVolumeTool,
  type AgentVolume,
  type VolumeTool,
  VolumeToolError,
} from './bitlocker-volumes.js';
import { checkIn, sendEscrow, ServerRefusedError, ServerUnreachableError } from './client.js';
import { LuksPass, rememberLuksVolume } from './luks-pass.js';
import { LuksToolError } from './luks-volume.js';
import { say } from '../../text/terminal-language.js';
import { agentMessages } from './messages.js';
import {
  defaultStateDir,
  readPrivateKey,
  readState,
  saveState,
  type AgentStateFile,
  type PendingKey,
} from './state.js';

export interface AgentRunFlags {
  stateDir?: string;
  every?: string;
  luks?: string;
  luksKeyFile?: string;
  json?: boolean;
}

/** What one pass did, for --json and the state's last run. */
export interface RunReport {
  outcome: 'ok' | 'offline' | 'failed';
  escrowed: string[];
  rotated: { drive: string; removed: string; added: string }[];
  /** Drives that had no recovery password and got one, as the organisation's policy asks. */
  protected: string[];
  /** Drives with no recovery password that the policy leaves so: reported to the server. */
  uncovered: string[];
  refused: { drive: string; reason: string }[];
  message?: string;
  retryAfter?: string;
}

const backoffBaseMs = 60_000;
const backoffMaxMs = 6 * 60 * 60_000;

/**
 * How long to wait after `failures` failures in a row: doubling from a minute up to six hours,
 * with full jitter so a fleet that lost its server together does not return together.
 */
export function backoffMs(failures: number): number {
  const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, failures - 1));
  return Math.floor(ceiling / 2) + randomInt(Math.max(1, Math.floor(ceiling / 2)));
}

export function parseDuration(text: string): number {
  const match = /^(\d+)\s*(m|min|h|d)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase();
  const amount = Number(match?.[1]);
  const ms =
    unit === 'd' ? amount * 86_400_000 : unit === 'h' ? amount * 3_600_000 : amount * 60_000;
  if (!match || !Number.isFinite(ms) || ms < 60_000) {
    throw new CliError(say(agentMessages.badEvery(text)), ExitCode.unusable);
  }
  return ms;
}

function fingerprintOf(salt: string, secret: string): string {
  return createHash('sha256').update(salt).update('\0').update(secret).digest('hex');
}

/** What the server holds for a key: a change in any of it is sent again. */
function escrowFingerprint(volume: AgentVolume, keyId: string): string {
  const types = volume.protectors.map((protector) => protector.type).sort();
  return createHash('sha256')
    .update(JSON.stringify([keyId, volume.mountPoint, volume.volumeGuid, volume.type, types]))
    .digest('hex');
}

function volumeTool(): VolumeTool | undefined {
  if (process.platform === 'win32' || process.env.KEYHOLD_AGENT_PLATFORM === 'windows') {
    return windowsVolumeTool(runWindowsCommand);
  }
  return undefined;
}

class Pass {
  readonly report: RunReport = {
    outcome: 'ok',
    escrowed: [],
    rotated: [],
    protected: [],
    uncovered: [],
    refused: [],
  };
  /** Secrets made in this pass, by fingerprint; after a crash only the sealed form is left. */
  private readonly madeNow = new Map<string, string>();
  private accessToken = '';

  constructor(
    private readonly dir: string,
    private readonly state: AgentStateFile,
    private readonly privateKeyPem: string,
    private readonly tool: VolumeTool | undefined,
  ) {}

  private save() {
    return saveState(this.dir, this.state);
  }

  async run(): Promise<void> {
    const server = await this.checkIn();
    this.state.escrowPublicKey = server.escrowPublicKey;
    this.state.deviceName = server.deviceName;
    this.state.sequence = Math.max(this.state.sequence, server.lastSequence);
    if (this.state.luks?.length) {
      await new LuksPass({
        state: this.state,
        report: this.report,
        save: () => this.save(),
        send: (body) => this.sendWithSequence(body),
      }).run(new Set(server.rotate.map((key) => key.keyId)));
    }
    if (!this.tool) {
      await this.escrowChanged([]);
      return;
    }
    let volumes = await this.tool.list();
    await this.recoverMade(volumes);

    // New recovery passwords: where the policy wants one and a drive has none, and for each key
    // the server wants replaced that no rotation under way covers yet.
    for (const volume of volumes) {
      const hasRecoveryPassword = volume.protectors.some((p) => p.type === 'recovery-password');
      const underWay = this.state.pending.some((p) => p.drive === volume.mountPoint);
      if (hasRecoveryPassword || underWay) continue;
      if (server.policy.ensureRecoveryPassword) await this.plan(volume, undefined);
      else this.report.uncovered.push(volume.mountPoint);
    }
    for (const { keyId } of server.rotate) {
      const volume = volumes.find((v) => v.protectors.some((p) => p.id === keyId));
      if (!volume || this.state.pending.some((p) => p.replaces === keyId)) continue;
      await this.plan(volume, keyId);
    }

    // Each key under way, step by step; the state is saved after every step, so a kill at any
    // point resumes here on the next run.
    volumes = await this.addPlanned(volumes);
    await this.escrowChanged(volumes);
    volumes = await this.tool.list();
    await this.removeReplaced(volumes);
    volumes = await this.tool.list();
    await this.escrowChanged(volumes);
  }

  /** Checks in, keeping the access token for the next request and, while it lives, the next run. */
  private async checkIn() {
    const { accessToken, state } = await checkIn(
      this.state.server,
      this.state.enrolledDeviceId,
      this.privateKeyPem,
      this.state.accessToken,
    );
    this.accessToken = accessToken.token;
    this.state.accessToken = accessToken;
    return state;
  }

  private async plan(volume: AgentVolume, replaces: string | undefined) {
    const secret = generateRecoveryPassword();
    const salt = randomBytes(16).toString('hex');
    const fingerprint = fingerprintOf(salt, secret);
    this.madeNow.set(fingerprint, secret);
    this.state.pending.push({
      drive: volume.mountPoint,
      sealed: sealForEscrow(this.state.escrowPublicKey, this.state.enrolledDeviceId, secret),
      fingerprint,
      salt,
      step: 'made',
      waysIn: volume.protectors.length,
      ...(replaces ? { replaces } : {}),
    });
    await this.save();
  }

  private findMade(volumes: AgentVolume[], pending: PendingKey) {
    const volume = volumes.find((v) => v.mountPoint === pending.drive);
    return volume?.protectors.find(
      (p) =>
        p.recoveryPassword !== undefined &&
        fingerprintOf(pending.salt, p.recoveryPassword) === pending.fingerprint,
    );
  }

  /**
   * Keys a run made before it stopped: one that reached its drive is picked up by its
   * fingerprint; one that did not exists nowhere but in the state, sealed, and is dropped (this
   * run plans a new one where the drive still needs it).
   */
  private async recoverMade(volumes: AgentVolume[]) {
    for (const pending of [...this.state.pending]) {
      if (pending.step !== 'made') continue;
      const added = this.findMade(volumes, pending);
      if (added) {
        pending.keyId = added.id;
        pending.step = 'added';
      } else {
        this.state.pending = this.state.pending.filter((p) => p !== pending);
      }
      await this.save();
    }
  }

  private async addPlanned(volumes: AgentVolume[]): Promise<AgentVolume[]> {
    const tool = this.tool;
    if (!tool) return volumes;
    let current = volumes;
    for (const pending of [...this.state.pending]) {
      const secret = this.madeNow.get(pending.fingerprint);
      if (pending.step !== 'made' || secret === undefined) continue;
      const addedId = await tool.addRecoveryPassword(pending.drive, secret);
      current = await tool.list();
      // The tool's answer names the new protector; the listing must show it holding our secret.
      const added = this.findMade(current, pending);
      if (added?.id !== addedId) continue;
      pending.keyId = added.id;
      pending.step = 'added';
      if (!pending.replaces) this.report.protected.push(pending.drive);
      await this.save();
    }
    return current;
  }

  private async removeReplaced(volumes: AgentVolume[]) {
    const tool = this.tool;
    if (!tool) return;
    for (const pending of [...this.state.pending]) {
      if (pending.step !== 'confirmed') continue;
      const volume = volumes.find((v) => v.mountPoint === pending.drive);
      const old = pending.replaces
        ? volume?.protectors.find((p) => p.id === pending.replaces)
        : undefined;
      if (pending.replaces && volume && old) {
        const refusal = this.removalRefusal(volume, pending, old);
        if (refusal) {
          this.report.refused.push({ drive: pending.drive, reason: refusal });
          continue;
        }
        await tool.removeProtector(volume.mountPoint, old.id);
        this.report.rotated.push({
          drive: pending.drive,
          removed: old.id,
          added: pending.keyId ?? '',
        });
      }
      pending.step = 'removed';
      this.state.pending = this.state.pending.filter((p) => p !== pending);
      await this.save();
    }
  }

  /** Why the used protector must stay, or undefined when removing it is safe. */
  private removalRefusal(
    volume: AgentVolume,
    pending: PendingKey,
    old: AgentVolume['protectors'][number],
  ): string | undefined {
    if (old.type !== 'recovery-password') {
      return say(agentMessages.notARecoveryPassword(old.id, old.type));
    }
    if (!volume.protectors.some((p) => p.id === pending.keyId)) {
      return say(agentMessages.newProtectorMissing);
    }
    const after = volume.protectors.length - 1;
    if (after < (pending.waysIn ?? after)) {
      return say(agentMessages.fewerWaysIn(pending.waysIn ?? after, after));
    }
    return undefined;
  }

  /**
   * Sends every recovery password whose drive or protectors changed, the keys under way, and each
   * drive without a recovery password whose protectors changed (the server lists it as a drive
   * without a key).
   */
  private async escrowChanged(volumes: AgentVolume[]) {
    const drives: EscrowBody['drives'] = [];
    const sentFingerprints = new Map<string, string>();
    const uncoveredFingerprints = new Map<string, string>();
    const uncoveredNow = new Set<string>();
    for (const volume of volumes) {
      const driveEntry = {
        label: volume.mountPoint,
        type: volume.type,
        volumeGuid: volume.volumeGuid,
        protectorTypes: volume.protectors.map((p) => p.type),
      };
      if (!volume.protectors.some((p) => p.type === 'recovery-password')) {
        uncoveredNow.add(volume.mountPoint);
        const fingerprint = escrowFingerprint(volume, '');
        if (this.state.uncoveredDrives?.[volume.mountPoint] !== fingerprint) {
          uncoveredFingerprints.set(volume.mountPoint, fingerprint);
          drives.push({ ...driveEntry, keys: [] });
        }
        continue;
      }
      const keys = volume.protectors.flatMap((p) => {
        if (p.type !== 'recovery-password' || !p.recoveryPassword) return [];
        const fingerprint = escrowFingerprint(volume, p.id);
        const pending = this.state.pending.find((k) => k.keyId === p.id && k.step === 'added');
        if (!pending && this.state.escrowed[p.id] === fingerprint) return [];
        sentFingerprints.set(p.id, fingerprint);
        return [
          {
            keyId: p.id,
            sealedSecret:
              pending?.sealed ??
              sealForEscrow(
                this.state.escrowPublicKey,
                this.state.enrolledDeviceId,
                p.recoveryPassword,
              ),
          },
        ];
      });
      if (keys.length === 0) continue;
      drives.push({ ...driveEntry, keys });
    }
    // A drive that has a recovery password now is reported again should it ever lose it.
    const reported = Object.entries(this.state.uncoveredDrives ?? {});
    this.state.uncoveredDrives = Object.fromEntries(
      reported.filter(([drive]) => uncoveredNow.has(drive)),
    );
    if (drives.length === 0) return;
    const answer = await this.sendWithSequence({ drives, rotated: [] });
    for (const [drive, fingerprint] of uncoveredFingerprints) {
      this.state.uncoveredDrives[drive] = fingerprint;
    }
    for (const stored of answer.stored) {
      const fingerprint = sentFingerprints.get(stored.keyId);
      if (fingerprint) this.state.escrowed[stored.keyId] = fingerprint;
      if (stored.outcome === 'created') this.report.escrowed.push(stored.keyId);
      for (const pending of this.state.pending) {
        if (pending.keyId === stored.keyId && pending.step === 'added') pending.step = 'confirmed';
      }
    }
    await this.save();
  }

  async sendWithSequence(body: Omit<EscrowBody, 'sequence'>) {
    for (let attempt = 1; ; attempt++) {
      this.state.sequence += 1;
      // Saved before sending: a request the server may have seen never goes out again as new.
      await this.save();
      try {
        return await sendEscrow(this.state.server, this.accessToken, {
          ...body,
          sequence: this.state.sequence,
        });
      } catch (error) {
        if (
          !(error instanceof ServerRefusedError) ||
          error.code !== 'replayed_request' ||
          attempt > 1
        ) {
          throw error;
        }
        // Our count fell behind the server's (a restored state file): continue from the server's.
        const server = await this.checkIn();
        this.state.sequence = Math.max(this.state.sequence, server.lastSequence);
      }
    }
  }
}

async function onePass(dir: string, luks?: LuksRequest): Promise<RunReport> {
  const state = await readState(dir);
  if (luks) {
    await rememberLuksVolume(state, luks.device, luks.keyFile);
    await saveState(dir, state);
  }
  const privateKeyPem = await readPrivateKey(dir);
  const pass = new Pass(dir, state, privateKeyPem, volumeTool());
  const report = pass.report;
  try {
    await pass.run();
    state.failures = 0;
    delete state.retryAfter;
  } catch (error) {
    if (error instanceof ServerUnreachableError) {
      report.outcome = 'offline';
      report.message = say(agentMessages.unreachable(state.server, error.reason));
    } else if (error instanceof ServerRefusedError) {
      report.outcome = 'failed';
      report.message = say(agentMessages.serverRefused(error.status, error.message));
    } else if (error instanceof VolumeToolError || error instanceof LuksToolError) {
      report.outcome = 'failed';
      report.message = say(agentMessages.volumesUnreadable(error.message));
    } else {
      throw error;
    }
    state.failures += 1;
    state.retryAfter = new Date(Date.now() + backoffMs(state.failures)).toISOString();
    report.retryAfter = state.retryAfter;
  }
  state.lastRun = {
    at: new Date().toISOString(),
    outcome: report.outcome,
    ...(report.message ? { message: report.message } : {}),
    escrowed: report.escrowed.length,
    rotated: report.rotated.length,
  };
  await saveState(dir, state);
  return report;
}

function print(report: RunReport, json: boolean | undefined) {
  if (json) {
    printJson(report);
    return;
  }
  if (report.outcome === 'ok') printLine(say(agentMessages.escrowed(report.escrowed.length)));
  for (const rotation of report.rotated) {
    printLine(
      say(
        agentMessages.rotated(escapeForTerminal(rotation.drive), rotation.removed, rotation.added),
      ),
    );
  }
  for (const drive of report.protected) {
    printLine(say(agentMessages.addedRecoveryPassword(escapeForTerminal(drive))));
  }
  for (const drive of report.uncovered) {
    printError(say(agentMessages.driveUncovered(escapeForTerminal(drive))));
  }
  for (const refusal of report.refused) {
    printError(
      say(agentMessages.rotationRefused(escapeForTerminal(refusal.drive), refusal.reason)),
    );
  }
  if (report.message) printError(escapeForTerminal(report.message));
  if (report.retryAfter) printError(say(agentMessages.nextAttempt(report.retryAfter)));
}

function exitCodeOf(report: RunReport): number {
  if (report.outcome === 'offline') return ExitCode.environment;
  if (report.outcome === 'failed') return ExitCode.environment;
  return report.refused.length > 0 ? ExitCode.negative : ExitCode.ok;
}

interface LuksRequest {
  device: string;
  keyFile: string;
}

function luksRequestOf(flags: AgentRunFlags): LuksRequest | undefined {
  if (flags.luks === undefined && flags.luksKeyFile === undefined) return undefined;
  if (volumeTool()) throw new CliError(say(agentMessages.luksNotOnWindows), ExitCode.unusable);
  if (!flags.luks || !flags.luksKeyFile) {
    throw new CliError(say(agentMessages.luksNeedsBoth), ExitCode.unusable);
  }
  return { device: flags.luks, keyFile: flags.luksKeyFile };
}

export async function runAgentRun(flags: AgentRunFlags): Promise<void> {
  const dir = flags.stateDir ?? defaultStateDir();
  const interval = flags.every === undefined ? undefined : parseDuration(flags.every);
  const luks = luksRequestOf(flags);
  if (interval === undefined) {
    const report = await onePass(dir, luks);
    print(report, flags.json);
    process.exitCode = exitCodeOf(report);
    return;
  }
  // The volume is remembered by the first pass; later ones find it in the state.
  for (let pass = 0; ; pass++) {
    const report = await onePass(dir, pass === 0 ? luks : undefined);
    print(report, flags.json);
    const wait = report.retryAfter ? Date.parse(report.retryAfter) - Date.now() : interval;
    await sleep(Math.max(1000, wait));
  }
}
