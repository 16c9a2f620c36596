import { parseProtectorId, ProtectorIdError } from '../../../bitlocker/protector-id.js';
import { parseRecoveryPassword } from '../../../bitlocker/recovery-password.js';
import type { VolumeType } from '../../../db/schema.js';
import { ConflictError, ValidationError, type FieldRefusal } from '../../errors.js';
import { fieldReasons } from '../../messages.js';
import type { KeySummaryRow } from './keys-repo.js';

/**
 * A key as a person or a file gives it: checking every field, and the rules for where a key
 * lives (its device and drive) when it is saved again.
 */

export const maximumNameLength = 200;

export interface NewKeyInput {
  protectorId: string;
  recoveryPassword: string;
  /** Details the person gave; one left out keeps what a stored key already has. */
  deviceName?: string | undefined;
  volume?:
    | {
        label?: string | undefined;
        type?: VolumeType | undefined;
        volumeGuid?: string | null | undefined;
      }
    | undefined;
  /**
   * Details for a new key where the person gave none (the CLI sends the computer's name). They
   * are guesses, so they never replace what a stored key already has.
   */
  defaults?:
    | {
        deviceName?: string | undefined;
        volumeLabel?: string | undefined;
        volumeType?: VolumeType | undefined;
      }
    | undefined;
  source?: string | undefined;
  /** The sender just read the key from the volume it unlocks (the CLI or agent on that computer). */
  provenAgainstVolume?: boolean | undefined;
}

/** Where a key lives: its device and drive. */
export interface Placement {
  deviceName: string;
  volume: { label: string; type: VolumeType; volumeGuid: string | null };
}

/** The details a person actually gave, in canonical forms; absent ones were not given. */
export interface GivenDetails {
  deviceName?: string;
  volumeLabel?: string;
  volumeType?: VolumeType;
  volumeGuid?: string;
}

/** The names the answers use for the details of a key that a save changed. */
export type DetailField = 'deviceName' | 'volume.label' | 'volume.type' | 'volume.volumeGuid';

/** A key that passed every check, in canonical forms. */
export interface ValidKey {
  protectorHex: string;
  recoveryPassword: string;
  given: GivenDetails;
  /** The placement of a new key where nothing was given (an empty name, a guessed type). */
  fallback: Placement;
  source: string;
  /** Whether the key was read from its volume as it was sent. */
  proven: boolean;
}

/**
 * The placement after a save: a new key takes the given details over the fallback; a stored key
 * keeps every detail that was not given. `updated` names the given details that differ from
 * what was stored.
 */
export function placementAfterSave(
  given: GivenDetails,
  base: Placement,
  stored: boolean,
): { placement: Placement; updated: DetailField[] } {
  const placement: Placement = {
    deviceName: given.deviceName ?? base.deviceName,
    volume: {
      label: given.volumeLabel ?? base.volume.label,
      type: given.volumeType ?? base.volume.type,
      volumeGuid: given.volumeGuid ?? base.volume.volumeGuid,
    },
  };
  if (!stored) return { placement, updated: [] };
  const updated: DetailField[] = [];
  if (placement.deviceName !== base.deviceName) updated.push('deviceName');
  if (placement.volume.label !== base.volume.label) updated.push('volume.label');
  if (placement.volume.type !== base.volume.type) updated.push('volume.type');
  if (placement.volume.volumeGuid !== base.volume.volumeGuid) updated.push('volume.volumeGuid');
  return { placement, updated };
}

export function storedPlacement(row: KeySummaryRow): Placement {
  return {
    deviceName: row.device_name,
    volume: { label: row.volume_label, type: row.volume_type, volumeGuid: row.volume_guid },
  };
}

/** The same Key ID is stored with another password: one of the two copies is wrong. */
export class KeyConflictError extends ConflictError {
  constructor(protectorId: string) {
    super(
      {
        en:
          `Key ID ${protectorId} is already in your library with a different recovery password. ` +
          'One of the two is wrong (a damaged or mistyped backup, or a key of another drive). ' +
          'Nothing was changed: reveal the stored key and compare it with the one you have.',
        nb:
          `Nøkkel-ID ${protectorId} finnes allerede i biblioteket ditt med et annet gjenopprettingspassord. ` +
          'Ett av dem er feil (en skadet eller feilskrevet kopi, eller nøkkelen til en annen stasjon). ' +
          'Ingenting ble endret: vis den lagrede nøkkelen og sammenlign den med den du har.',
      },
      { field: 'recoveryPassword', protectorId },
    );
  }
}

function protectorHex(protectorId: string): string {
  return parseProtectorId(protectorId).replaceAll('-', '');
}

/** Checks every field and reports every problem at once, naming the bad password blocks. */
export function validateNewKey(input: NewKeyInput): ValidKey {
  const problems: FieldRefusal[] = [];
  let hex = '';
  try {
    hex = protectorHex(input.protectorId);
  } catch (error) {
    if (!(error instanceof ProtectorIdError)) throw error;
    problems.push({ field: 'protectorId', reason: error.wording });
  }
  const parsed = parseRecoveryPassword(input.recoveryPassword);
  if (!parsed.valid) {
    for (const error of parsed.errors) {
      problems.push(
        error.block === 0
          ? { field: 'recoveryPassword', reason: error.wording }
          : {
              field: 'recoveryPassword',
              block: error.block,
              value: error.value,
              reason: {
                en: `Block ${error.block} ${error.wording.en}.`,
                nb: `Blokk ${error.block} ${error.wording.nb}.`,
              },
            },
      );
    }
  }
  const given: GivenDetails = {};
  const deviceName =
    input.deviceName === undefined ? undefined : normalizeDeviceName(input.deviceName);
  const defaultName =
    input.defaults?.deviceName === undefined ? '' : normalizeDeviceName(input.defaults.deviceName);
  for (const [field, name] of [
    ['deviceName', deviceName],
    ['defaults.deviceName', input.defaults?.deviceName === undefined ? undefined : defaultName],
  ] as const) {
    if (name !== undefined && (name === '' || name.length > maximumNameLength)) {
      problems.push({
        field,
        reason: fieldReasons.deviceName(maximumNameLength),
      });
    }
  }
  if (deviceName !== undefined) given.deviceName = deviceName;
  const label = input.volume?.label?.trim();
  if (label !== undefined) {
    if (label.length > maximumNameLength) {
      problems.push({
        field: 'volume.label',
        reason: {
          en: `A drive label has at most ${maximumNameLength} characters.`,
          nb: `Et stasjonsnavn har høyst ${maximumNameLength} tegn.`,
        },
      });
    }
    given.volumeLabel = label;
  }
  if (input.volume?.type !== undefined) given.volumeType = input.volume.type;
  const defaultLabel = input.defaults?.volumeLabel?.trim().slice(0, maximumNameLength) ?? '';
  if (input.volume?.volumeGuid) {
    try {
      given.volumeGuid = parseProtectorId(input.volume.volumeGuid);
    } catch {
      problems.push({
        field: 'volume.volumeGuid',
        reason: {
          en: 'A volume GUID has 32 hex digits, e.g. 1B6E1FE3-58C5-4C1C-B0E5-2B5A1C3D4E5F.',
          nb: 'En volum-GUID har 32 heksadesimale sifre, for eksempel 1B6E1FE3-58C5-4C1C-B0E5-2B5A1C3D4E5F.',
        },
      });
    }
  }
  if (problems.length > 0 || !parsed.valid) {
    const fields = [...new Set(problems.map((problem) => problem.field))].join(', ');
    throw new ValidationError(
      {
        en: `The key was not saved: check ${fields}.`,
        nb: `Nøkkelen ble ikke lagret: sjekk ${fields}.`,
      },
      problems,
    );
  }
  return {
    protectorHex: hex,
    recoveryPassword: parsed.normalized,
    given,
    fallback: {
      deviceName: defaultName,
      volume: {
        label: defaultLabel,
        type: input.defaults?.volumeType ?? guessVolumeType(label ?? defaultLabel),
        volumeGuid: null,
      },
    },
    source: input.source ?? 'manual',
    proven: input.provenAgainstVolume === true,
  };
}

/**
 * The system drive is the one people most often need a recovery key for, and Windows names it
 * C:. Anything else is taken as a fixed data drive; the person can correct it by saving the key
 * again with the type given.
 */
export function guessVolumeType(label: string): VolumeType {
  return label === '' || /^c:\\?$/i.test(label) ? 'os' : 'fixed';
}

export function normalizeDeviceName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ');
}
