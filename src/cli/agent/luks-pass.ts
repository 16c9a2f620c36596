import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { EscrowAnswer, EscrowBody } from '../../api/enrollment.js';
import { sealForEscrow } from '../../crypto/escrow-seal.js';
import { firstFreeKeySlot, type LuksHeader } from '../../luks/luks-dump.js';
import { generateLuksRecoveryPassphrase } from '../../luks/recovery-passphrase-generation.js';
import { CliError, ExitCode } from '../output.js';
import {
  addKeySlot,
  inspectLuks,
  keyFileOpens,
  killKeySlot,
  LuksToolError,
} from './luks-volume.js';
import { luksDriveType } from './luks-drive-type.js';
import { say } from '../../text/terminal-language.js';
import { agentMessages } from './messages.js';
import type { AgentStateFile, LuksVolumeRecord, PendingKey } from './state.js';

/**
 * The agent's work on LUKS volumes. Each volume it looks after gets one recovery key slot
 * holding a random recovery passphrase, escrowed with the volume's LUKS UUID and the slot.
 * A rotation goes in the order that cannot lose a key, saving the state after every step: pick
 * a free slot and keep the new passphrase sealed to the organisation's escrow key (made), add
 * the slot (added), escrow it and wait for the server's answer (confirmed), and only then kill
 * the old recovery slot. The person's own slot is never touched. A run killed anywhere resumes
 * from the saved step: the slot number chosen before adding tells whether the add happened.
 */

/** The parts of a run's report this pass adds to. */
interface LuksReport {
  escrowed: string[];
  rotated: { drive: string; removed: string; added: string }[];
  refused: { drive: string; reason: string }[];
}

export interface LuksPassContext {
  state: AgentStateFile;
  report: LuksReport;
  save(): Promise<void>;
  send(body: Omit<EscrowBody, 'sequence'>): Promise<EscrowAnswer>;
}

/** Reads the header, refusing a LUKS1 volume (its 8 slots and format are not handled). */
async function luks2Header(device: string): Promise<LuksHeader> {
  const header = await inspectLuks(device);
  if (header.version !== 2) throw new LuksToolError(device, say(agentMessages.luksNotVersion2));
  return header;
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks what `--luks DEVICE --luks-key-file FILE` names and remembers it in the state, so
 * later runs (from the service, without the flags) look after the volume too.
 */
export async function rememberLuksVolume(
  state: AgentStateFile,
  device: string,
  keyFile: string,
): Promise<void> {
  const keyPath = resolve(keyFile);
  if (!(await readable(keyPath))) {
    throw new CliError(say(agentMessages.luksKeyFileUnreadable(keyPath)), ExitCode.unusable);
  }
  let header: LuksHeader;
  try {
    header = await luks2Header(device);
    if (!(await keyFileOpens(device, keyPath))) {
      throw new CliError(
        say(agentMessages.luksKeyFileDoesNotOpen(device, keyPath)),
        ExitCode.unusable,
      );
    }
  } catch (error) {
    if (!(error instanceof LuksToolError)) throw error;
    throw new CliError(say(agentMessages.luksUnusable(error.reason)), ExitCode.unusable);
  }
  const volumes = state.luks ?? [];
  const known = volumes.find((volume) => volume.device === device);
  if (known && known.uuid !== header.uuid) {
    // Another volume at the same path: what was remembered about the old one does not apply.
    state.pending = state.pending.filter((pending) => pending.drive !== device);
    state.luks = volumes.filter((volume) => volume !== known);
  }
  const kept = state.luks?.find((volume) => volume.device === device);
  if (kept) kept.keyFile = keyPath;
  else state.luks = [...(state.luks ?? []), { device, keyFile: keyPath, uuid: header.uuid }];
}

function fingerprintOf(salt: string, secret: string): string {
  return createHash('sha256').update(salt).update('\0').update(secret).digest('hex');
}

export class LuksPass {
  /** Passphrases made in this pass; after a crash only their sealed form is left. */
  private readonly madeNow = new Map<string, string>();

  constructor(private readonly context: LuksPassContext) {}

  private get state() {
    return this.context.state;
  }

  private pendingOf(volume: LuksVolumeRecord): PendingKey[] {
    return this.state.pending.filter((pending) => pending.drive === volume.device);
  }

  private refuse(volume: LuksVolumeRecord, reason: string) {
    this.context.report.refused.push({ drive: volume.device, reason });
  }

  /** Every remembered volume in turn; one that cannot be read is reported and the rest go on. */
  async run(rotate: Set<string>): Promise<void> {
    for (const volume of this.state.luks ?? []) {
      try {
        await this.look(volume, rotate);
      } catch (error) {
        if (!(error instanceof LuksToolError)) throw error;
        this.refuse(volume, say(agentMessages.luksUnusable(error.reason)));
      }
    }
  }

  private async look(volume: LuksVolumeRecord, rotate: Set<string>) {
    let header = await luks2Header(volume.device);
    if (header.uuid !== volume.uuid) {
      this.refuse(volume, say(agentMessages.luksOtherVolume(volume.uuid, header.uuid)));
      return;
    }
    await this.recoverMade(volume, header);
    if (volume.recovery && !header.keySlots.includes(volume.recovery.slot)) {
      // Someone removed the recovery slot: the volume needs a new one.
      delete volume.recovery;
      await this.context.save();
    }
    const underWay = this.pendingOf(volume).length > 0;
    const wanted = !volume.recovery || rotate.has(volume.recovery.keyId);
    if (!underWay && wanted) {
      if (!(await readable(volume.keyFile))) {
        this.refuse(volume, say(agentMessages.luksWaitsForKeyFile(volume.device, volume.keyFile)));
        return;
      }
      await this.plan(volume, header);
    }
    header = await this.addPlanned(volume, header);
    await this.escrowAdded(volume, header);
    await this.removeReplaced(volume);
  }

  /**
   * A passphrase made by a run that stopped before recording the add: its slot in use now means
   * the add happened (escrow goes on from the sealed copy); a free slot means it never reached
   * the volume, and it is dropped.
   */
  private async recoverMade(volume: LuksVolumeRecord, header: LuksHeader) {
    for (const pending of this.pendingOf(volume)) {
      if (pending.step !== 'made' || this.madeNow.has(pending.fingerprint)) continue;
      if (pending.luksSlot !== undefined && header.keySlots.includes(pending.luksSlot)) {
        pending.step = 'added';
      } else {
        this.state.pending = this.state.pending.filter((p) => p !== pending);
      }
      await this.context.save();
    }
  }

  private async plan(volume: LuksVolumeRecord, header: LuksHeader) {
    const promised = this.state.pending.flatMap((p) =>
      p.luksSlot === undefined ? [] : [p.luksSlot],
    );
    const slot = firstFreeKeySlot(header.keySlots, promised);
    if (slot === undefined) {
      this.refuse(volume, say(agentMessages.luksNoFreeSlot));
      return;
    }
    const secret = generateLuksRecoveryPassphrase();
    const salt = randomBytes(16).toString('hex');
    const fingerprint = fingerprintOf(salt, secret);
    this.madeNow.set(fingerprint, secret);
    this.state.pending.push({
      drive: volume.device,
      sealed: sealForEscrow(this.state.escrowPublicKey, this.state.enrolledDeviceId, secret),
      fingerprint,
      salt,
      keyId: randomUUID().toUpperCase(),
      luksSlot: slot,
      step: 'made',
      waysIn: header.keySlots.length,
      ...(volume.recovery ? { replaces: volume.recovery.keyId } : {}),
    });
    await this.context.save();
  }

  private async addPlanned(volume: LuksVolumeRecord, header: LuksHeader): Promise<LuksHeader> {
    let current = header;
    for (const pending of this.pendingOf(volume)) {
      const secret = this.madeNow.get(pending.fingerprint);
      if (pending.step !== 'made' || secret === undefined || pending.luksSlot === undefined) {
        continue;
      }
      await addKeySlot(volume.device, volume.keyFile, pending.luksSlot, secret);
      current = await luks2Header(volume.device);
      if (!current.keySlots.includes(pending.luksSlot)) continue;
      pending.step = 'added';
      await this.context.save();
    }
    return current;
  }

  /** Sends the added slots; each one the server lists as stored is confirmed. */
  private async escrowAdded(volume: LuksVolumeRecord, header: LuksHeader) {
    const added = this.pendingOf(volume).filter((pending) => pending.step === 'added');
    if (added.length === 0) return;
    const answer = await this.context.send({
      drives: [
        {
          label: volume.device,
          type: await luksDriveType(volume.device),
          volumeGuid: volume.uuid,
          protectorTypes: header.keySlots.map(() => 'luks-keyslot'),
          keys: added.map((pending) => ({
            keyId: pending.keyId ?? '',
            sealedSecret: pending.sealed,
            ...(pending.luksSlot === undefined ? {} : { luksSlot: pending.luksSlot }),
          })),
        },
      ],
      rotated: [],
    });
    for (const stored of answer.stored) {
      const pending = added.find((p) => p.keyId === stored.keyId);
      if (!pending?.keyId || pending.luksSlot === undefined) continue;
      if (stored.outcome === 'created') this.context.report.escrowed.push(stored.keyId);
      this.state.escrowed[stored.keyId] = pending.fingerprint;
      pending.step = 'confirmed';
      if (!pending.replaces) {
        volume.recovery = { keyId: pending.keyId, slot: pending.luksSlot };
        this.state.pending = this.state.pending.filter((p) => p !== pending);
      }
    }
    await this.context.save();
  }

  /** Kills the used recovery slot of each confirmed rotation, when that is safe. */
  private async removeReplaced(volume: LuksVolumeRecord) {
    for (const pending of this.pendingOf(volume)) {
      if (pending.step !== 'confirmed' || !pending.keyId || pending.luksSlot === undefined) {
        continue;
      }
      const header = await luks2Header(volume.device);
      const old = volume.recovery?.keyId === pending.replaces ? volume.recovery : undefined;
      if (old && header.keySlots.includes(old.slot)) {
        const refusal = await this.removalRefusal(volume, header, pending, old.slot);
        if (refusal) {
          this.refuse(volume, refusal);
          continue;
        }
        await killKeySlot(volume.device, volume.keyFile, old.slot);
        this.context.report.rotated.push({
          drive: volume.device,
          removed: old.keyId,
          added: pending.keyId,
        });
      }
      volume.recovery = { keyId: pending.keyId, slot: pending.luksSlot };
      this.state.pending = this.state.pending.filter((p) => p !== pending);
      await this.context.save();
    }
  }

  /** Why the old recovery slot must stay, or undefined when killing it is safe. */
  private async removalRefusal(
    volume: LuksVolumeRecord,
    header: LuksHeader,
    pending: PendingKey,
    oldSlot: number,
  ): Promise<string | undefined> {
    if (pending.luksSlot === undefined || !header.keySlots.includes(pending.luksSlot)) {
      return say(agentMessages.luksNewSlotMissing(pending.luksSlot ?? -1));
    }
    if (!(await readable(volume.keyFile))) {
      return say(agentMessages.luksWaitsForKeyFile(volume.device, volume.keyFile));
    }
    if (await keyFileOpens(volume.device, volume.keyFile, oldSlot)) {
      return say(agentMessages.luksSlotIsPersons(oldSlot));
    }
    const after = header.keySlots.length - 1;
    if (after < (pending.waysIn ?? after)) {
      return say(agentMessages.fewerWaysIn(pending.waysIn ?? after, after));
    }
    return undefined;
  }
}
